import Foundation
import Wire

/// `apus bench kv-transfer`: LoadKV throughput between two runner processes, against the same run's single-core
/// memcpy bandwidth (docs/disaggregation.md §3).
///
/// Methodology: the consumer is asked to pull N blocks (every layer, K and V) from the producer, N chosen per size
/// as the nearest whole number of blocks (at least one); each size runs `warmup` untimed then `repeats` timed calls,
/// each timed from just before the LoadKV call to its answer. The two block lists interleave (producer even ids,
/// consumer odd ids), so the producer gathers and the consumer scatters block by block as with a real allocator.
/// memcpy is timed on a buffer of 4× the last-level cache (at least 256 MiB), best of `repeats`. For context the
/// report adds what bare loopback TCP moves on the same machine (`LoopbackTCP`): the wire's own ceiling.
///
/// Two paths are measured against the same producer: a consumer with the runner's defaults (shared memory when it
/// works: the producer's cache in a memory file the consumer maps) and one with `--kv-transfer-shared-memory off`
/// (TCP). The target line judges the default path; each row says which path every call of it took.
public enum KVTransferBenchmark {
    public struct Options: Sendable {
        public var sizes: [Int] = [64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]
        public var repeats = 10
        public var warmup = 2
        public init() {}
    }

    public struct Row: Sendable {
        public var requestedBytes: Int
        public var blocks: Int
        public var bytes: Int
        public var bestGBps: Double
        public var medianGBps: Double
        /// Every call of this size was copied through shared memory (`LoadKVResult.shared_memory_sources`).
        public var sharedMemory: Bool
        /// Median time of a call as timed here, and inside the consumer (`LoadKVResult.elapsed_us`), µs: the
        /// difference is the LoadKV call itself (the engine-core's RPC to its runner).
        public var medianCallUS: Double
        public var medianConsumerUS: Double
    }

    /// One consumer's rows: the runner's default path, or TCP forced with `--kv-transfer-shared-memory off`.
    public struct Path: Sendable {
        public var isDefault: Bool
        public var rows: [Row]
        public var name: String {
            (rows.allSatisfy(\.sharedMemory) ? "shared memory" : rows.contains(where: \.sharedMemory) ? "mixed" : "TCP")
                + (isDefault ? ", the runner's default" : ", --kv-transfer-shared-memory off")
        }
    }

    public struct Result: Sendable {
        public var paths: [Path]
        public var memcpyGBps: Double
        public var memcpyBufferBytes: Int
        /// Raw loopback TCP between two threads, best of three 256 MiB runs (nil: not measurable).
        public var loopbackTCPGBps: Double?
        /// Bytes of one block across all layers, K and V.
        public var blockBytes: Int
    }

    /// Blocks each cache needs for the largest size (both lists fit, interleaved).
    public static func cacheBlocks(_ options: Options, blockBytes: Int) -> Int {
        2 * blocks(for: options.sizes.max() ?? 0, blockBytes: blockBytes) + 2
    }

    static func blocks(for size: Int, blockBytes: Int) -> Int { max(1, (size + blockBytes / 2) / blockBytes) }

    /// Runs every size against each consumer runner (`defaultConsumer` with the runner's defaults, `tcpConsumer`
    /// with shared memory off) pulling from the producer at `producerAddress`; every cache must hold `cacheBlocks`
    /// blocks.
    public static func run(
        defaultConsumer: RPCClient, tcpConsumer: RPCClient, producerAddress: String, producerIncarnation: String,
        numLayers: Int, blockBytes: Int, options: Options
    ) async throws -> Result {
        var paths: [Path] = []
        for (consumer, isDefault) in [(defaultConsumer, true), (tcpConsumer, false)] {
            let rows = try await rows(
                consumer, producerAddress: producerAddress, producerIncarnation: producerIncarnation,
                numLayers: numLayers, blockBytes: blockBytes, options: options)
            paths.append(Path(isDefault: isDefault, rows: rows))
        }
        let bufferBytes = max(256 << 20, 4 * lastLevelCacheBytes())
        let tcp = (0..<3).compactMap { _ in LoopbackTCP.bandwidth(bytes: 256 << 20) }.max()
        return Result(
            paths: paths, memcpyGBps: memcpyBandwidth(bytes: bufferBytes, repeats: max(3, options.repeats)),
            memcpyBufferBytes: bufferBytes, loopbackTCPGBps: tcp, blockBytes: blockBytes)
    }

    static func rows(
        _ consumer: RPCClient, producerAddress: String, producerIncarnation: String, numLayers: Int, blockBytes: Int,
        options: Options
    ) async throws -> [Row] {
        var rows: [Row] = []
        for size in options.sizes {
            let n = blocks(for: size, blockBytes: blockBytes)
            guard !rows.contains(where: { $0.blocks == n }) else { continue }
            let request = ApusV1.LoadKVRequest(
                requestID: "bench-\(size)",
                sources: [ApusV1.KVLoadSource(
                    address: producerAddress, remoteBlockIDs: (0..<n).map { UInt32(2 * $0) }, firstLayer: 0,
                    endLayer: UInt32(numLayers), incarnationID: producerIncarnation)],
                localBlockIDs: (0..<n).map { UInt32(2 * $0 + 1) })
            var seconds: [Double] = []
            var sharedMemory = true
            var consumerUS: [Double] = []
            for i in 0..<(options.warmup + options.repeats) {
                let start = ContinuousClock.now
                let answer = try await consumer.unary(
                    RPCMethod.loadKV, request, as: ApusV1.LoadKVResult.self, timeout: .seconds(120))
                let elapsed = start.duration(to: .now)
                guard answer.bytes == UInt64(n * blockBytes) else {
                    throw BenchmarkError("LoadKV moved \(answer.bytes) bytes, expected \(n * blockBytes)")
                }
                sharedMemory = sharedMemory && answer.sharedMemorySources == 1
                let c = elapsed.components
                if i >= options.warmup {
                    seconds.append(Double(c.seconds) + Double(c.attoseconds) / 1e18)
                    consumerUS.append(Double(answer.elapsedUS))
                }
            }
            seconds.sort()
            let bytes = Double(n * blockBytes)
            rows.append(Row(
                requestedBytes: size, blocks: n, bytes: n * blockBytes, bestGBps: bytes / seconds[0] / 1e9,
                medianGBps: bytes / seconds[seconds.count / 2] / 1e9, sharedMemory: sharedMemory,
                medianCallUS: seconds[seconds.count / 2] * 1e6, medianConsumerUS: consumerUS.sorted()[consumerUS.count / 2]))
        }
        return rows
    }

    /// Single-core memcpy bandwidth (bytes copied per second / 1e9) between two non-zero buffers of `bytes`.
    public static func memcpyBandwidth(bytes: Int, repeats: Int) -> Double {
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        defer {
            source.deallocate()
            destination.deallocate()
        }
        // NOTE: non-zero and touched: untouched pages would all map the shared zero page and copy from cache.
        for i in stride(from: 0, to: bytes, by: 8) {
            source.storeBytes(of: UInt64(i) | 1, toByteOffset: i, as: UInt64.self)
        }
        destination.initializeMemory(as: UInt8.self, repeating: 1)
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: bytes)
            let d = start.duration(to: .now).components
            best = min(best, Double(d.seconds) + Double(d.attoseconds) / 1e18)
        }
        return Double(bytes) / best / 1e9
    }

    /// The largest cache of CPU 0 (sysfs), or 32 MiB when unknown.
    static func lastLevelCacheBytes() -> Int {
        var largest = 0
        for index in 0..<8 {
            let path = "/sys/devices/system/cpu/cpu0/cache/index\(index)/size"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let scale = t.hasSuffix("K") ? 1 << 10 : t.hasSuffix("M") ? 1 << 20 : 1
            if let v = Int(t.trimmingCharacters(in: .letters)) { largest = max(largest, v * scale) }
        }
        return largest > 0 ? largest : 32 << 20
    }

    /// One line per size, the memcpy line, and the target line (≥ 50% of memcpy at every size of 1 MiB and more).
    public static func lines(_ r: Result) -> [String] {
        func f(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
        func mib(_ b: Int) -> String { b >= 1 << 20 ? "\(f(Double(b) / 1048576, 2)) MiB" : "\(b >> 10) KiB" }
        var lines = ["kv-transfer: LoadKV between runner processes on 127.0.0.1, block = \(mib(r.blockBytes)) "
            + "(all layers, K and V)"]
        for path in r.paths {
            lines.append("  \(path.name):")
            for row in path.rows {
                let (best, median) = (100 * row.bestGBps / r.memcpyGBps, 100 * row.medianGBps / r.memcpyGBps)
                lines.append(
                    "    \(mib(row.bytes)) (\(row.blocks) blocks): best \(f(row.bestGBps)) GB/s, median "
                        + "\(f(row.medianGBps)) GB/s = \(f(best, 1))% / \(f(median, 1))% of memcpy; median call "
                        + "\(f(row.medianCallUS, 0)) µs, \(f(row.medianConsumerUS, 0)) µs of it in the consumer")
            }
        }
        lines.append("  memcpy, one core, \(mib(r.memcpyBufferBytes)) buffer: \(f(r.memcpyGBps)) GB/s")
        if let tcp = r.loopbackTCPGBps {
            lines.append(
                "  bare loopback TCP, one connection, 4 MiB writes: \(f(tcp)) GB/s = \(f(100 * tcp / r.memcpyGBps, 1))% "
                    + "of memcpy (the wire's ceiling here)")
        }
        let byDefault = r.paths.first(where: \.isDefault)
        let large = (byDefault?.rows ?? []).filter { $0.bytes >= 1 << 20 }
        let worst = large.map { $0.medianGBps / r.memcpyGBps }.min() ?? 0
        lines.append(
            "target (\(byDefault?.name ?? "no default path")): median LoadKV ≥ 50% of single-core memcpy at every "
                + "size ≥ 1 MiB (worst \(f(100 * worst, 1))%): " + (worst >= 0.5 && !large.isEmpty ? "met" : "MISSED"))
        return lines
    }

    /// One JSON object per size.
    public static func jsonLines(_ r: Result) -> [String] {
        r.paths.flatMap { path in path.rows.map { (path, $0) } }.map { path, row in
            let fields: [String: Any] = [
                "bench": "kv-transfer", "path": row.sharedMemory ? "shared_memory" : "tcp", "default": path.isDefault,
                "bytes": row.bytes, "blocks": row.blocks, "best_gbps": row.bestGBps, "median_call_us": row.medianCallUS,
                "median_consumer_us": row.medianConsumerUS,
                "median_gbps": row.medianGBps, "memcpy_gbps": r.memcpyGBps, "loopback_tcp_gbps": r.loopbackTCPGBps ?? 0,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
