import ApusBench
import ArgumentParser
import Foundation
import ModelRuntime
import Wire

/// `apus bench kv-transfer`: LoadKV throughput between `apus runner` children on loopback (a producer, a consumer
/// with the defaults, one with shared memory off), against single-core memcpy (docs/disaggregation.md §3). The
/// children are always stopped, whatever ends the run.
struct BenchKVTransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv-transfer",
        abstract: "Runner-to-runner KV transfer (LoadKV/ReadKV; shared memory and TCP) GB/s vs single-core memcpy.")

    @Option(help: "A Hugging Face model directory or GGUF file (default: dummy weights of the ~100M Llama).")
    var model: String?
    @Option(help: "Transfer sizes, comma-separated, with K/M suffixes (rounded to whole blocks).")
    var sizes = "64K,256K,1M,4M,16M,64M"
    @Option(help: "Timed LoadKV calls per size.") var repeats = 10
    @Option(help: "Untimed LoadKV calls per size first.") var warmup = 2
    @Option(help: "Block size, tokens.") var blockSize = 16
    @Option(name: .customLong("kv-transfer-chunk-bytes"), help: "The consumer's chunk size (0: the producer's default).")
    var chunkBytes = 0
    @OptionGroup var output: BenchOutputOptions

    func run() async throws {
        var options = KVTransferBenchmark.Options()
        options.sizes = try sizes.split(separator: ",").map { try Self.bytes(String($0)) }
        options.repeats = repeats
        options.warmup = warmup
        let (modelArgs, cleanup) = try modelArguments()
        defer { cleanup() }
        var children: [ChildProcess] = []
        defer { children.reversed().forEach { $0.stop() } }
        let common = ["--host", "127.0.0.1", "--port", "0", "--admin-port=-1", "--log-level", "warning",
                      "--memory-budget", "8GiB", "--kv-transfer-chunk-bytes", "\(chunkBytes)"]
        // NOTE: the producer and the first consumer keep the runner's defaults; the second is forced onto TCP.
        let extra = [[], [], ["--kv-transfer-shared-memory", "off"]]
        for (name, more) in zip(["producer", "consumer", "tcp-consumer"], extra) {
            let child = ChildProcess(name: name, arguments: ["runner"] + modelArgs + common + more)
            children.append(child)
            try await child.start()
        }
        let clients = try children.map { child -> RPCClient in
            let (host, port) = try parseHostPort(child.address("wire") ?? "")
            return RPCClient(host: host, port: port, configuration: .init(service: "bench"))
        }
        let description = try await clients[0].unary(
            RPCMethod.describe, ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self)
        guard let spec = description.kvCacheSpecs.first else { throw BenchError("the runner describes no KV cache") }
        let blockBytes = 2 * blockSize * Int(spec.numKVHeads) * Int(spec.headDim) * Int(spec.dtypeBytes)
            * Int(spec.numLayers)
        let numBlocks = KVTransferBenchmark.cacheBlocks(options, blockBytes: blockBytes)
        for client in clients {
            _ = try await client.unary(
                RPCMethod.initializeCache,
                ApusV1.InitializeCacheRequest(numBlocks: UInt32(numBlocks), blockSize: UInt32(blockSize)),
                as: ApusV1.InitializeCacheResponse.self, timeout: .seconds(120))
        }
        let result = try await KVTransferBenchmark.run(
            defaultConsumer: clients[1], tcpConsumer: clients[2], producerAddress: children[0].address("wire")!,
            producerIncarnation: description.incarnationID, numLayers: Int(spec.numLayers), blockBytes: blockBytes,
            options: options)
        for client in clients { await client.close() }
        let lines = output.json ? KVTransferBenchmark.jsonLines(result) : KVTransferBenchmark.lines(result)
        lines.forEach { print($0) }
    }

    /// `--model`, or a temporary directory holding the 100M Llama's config.json for `--load-format dummy`.
    private func modelArguments() throws -> ([String], () -> Void) {
        if let model { return (["--model", model], {}) }
        let c = RunnerBenchmark.model100M
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-kv-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let json: [String: Any] = [
            "architectures": [c.architecture.rawValue], "vocab_size": c.vocabSize, "hidden_size": c.hiddenSize,
            "num_hidden_layers": c.numLayers, "num_attention_heads": c.numHeads, "num_key_value_heads": c.numKVHeads,
            "intermediate_size": c.intermediateSize, "max_position_embeddings": c.maxPositionEmbeddings,
            "eos_token_id": c.eosTokenIDs.map(Int.init),
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: directory.appendingPathComponent("config.json"))
        return (["--model", directory.path, "--load-format", "dummy"],
                { try? FileManager.default.removeItem(at: directory) })
    }

    /// "64K", "1M", "4096".
    static func bytes(_ text: String) throws -> Int {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let (digits, scale) = t.hasSuffix("K") ? (t.dropLast(), 1 << 10) : t.hasSuffix("M") ? (t.dropLast(), 1 << 20)
            : (Substring(t), 1)
        guard let v = Int(digits), v > 0 else { throw ValidationError("bad size \"\(text)\" (use e.g. 64K, 4M)") }
        return v * scale
    }
}
