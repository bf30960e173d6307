import Foundation
import ModelRuntime
import Testing
import Wire

@testable import RunnerServer

/// Runners for KV transfer tests: the embedded model (4 layers, 2 KV heads × 32, f32: 4 KiB per block side and
/// layer at block size 16) behind a real `RunnerService`, served on 127.0.0.1 with an ephemeral port.
enum KVTest {
    static let blockSize = 16

    /// A real backend with an initialized cache (unless `blocks` is 0).
    /// `sharedMemory`: the cache lives in a memory file, so readers on this host may copy from it directly.
    static func backend(
        stage: Int = 0, of stages: Int = 1, blocks: Int = 32, blockSize: Int = blockSize, model: String = "embedded",
        incarnation: String? = nil, sharedMemory: Bool = false
    ) throws -> ModelRunnerBackend {
        let runner = try ModelRunner(source: .embeddedDefault, blasThreads: 1, stageIndex: stage, stageCount: stages)
        let backend = ModelRunnerBackend(
            runner: runner, modelName: model, incarnation: incarnation ?? "inc-\(stage)-of-\(stages)",
            memoryBudgetBytes: 1 << 30, kvCacheInMemoryFile: sharedMemory)
        if blocks > 0 { _ = try backend.initializeCache(numBlocks: blocks, blockSize: blockSize) }
        return backend
    }

    /// Serves `handlers` until `body` returns; `body` gets "127.0.0.1:PORT".
    static func serve<R>(_ handlers: RPCHandlers, _ body: (String) async throws -> R) async throws -> R {
        let server = RPCServer(host: "127.0.0.1", port: 0, identity: .init(service: "runner"), handlers: handlers)
        let task = Task { try await server.run() }
        defer { task.cancel() }
        let port = try await server.boundAddress().port!
        return try await body("127.0.0.1:\(port)")
    }

    /// Serves a runner service over `backend`; small chunks unless told otherwise, so transfers take several.
    /// `sharedMemory`: the runner's LoadKV offers producers on this host to copy from their memory file.
    static func serve<R>(
        _ backend: any RunnerBackend, maxChunkBytes: Int = 3 * 8192, sharedMemory: Bool = true,
        _ body: (String) async throws -> R
    ) async throws -> R {
        var options = KVLoader.Options()
        options.maxChunkBytes = maxChunkBytes
        options.sharedMemory = sharedMemory
        let service = RunnerService(backend: backend, kvLoader: KVLoader(options: options))
        return try await serve(service.handlers, body)
    }

    static func client(_ address: String) -> RPCClient {
        let port = Int(address.split(separator: ":").last!)!
        return RPCClient(host: "127.0.0.1", port: port, configuration: .init(service: "engine-core"))
    }

    static func loadKV(
        _ consumer: String, _ request: ApusV1.LoadKVRequest, timeout: Duration = .seconds(20)
    ) async throws -> ApusV1.LoadKVResult {
        let c = client(consumer)
        defer { Task { await c.close() } }
        return try await c.unary(RPCMethod.loadKV, request, as: ApusV1.LoadKVResult.self, timeout: timeout)
    }

    /// A source covering `layers` of the model (default: all four).
    static func source(
        _ address: String, _ remote: [UInt32], layers: Range<UInt32> = 0..<4, incarnation: String = ""
    ) -> ApusV1.KVLoadSource {
        ApusV1.KVLoadSource(
            address: address, remoteBlockIDs: remote, firstLayer: layers.lowerBound, endLayer: layers.upperBound,
            incarnationID: incarnation)
    }

    /// The value every element of a block gets: unique per (layer, block, K or V, element), as a bit pattern.
    static func pattern(layer: Int, block: Int, values: Bool, element: Int) -> UInt32 {
        UInt32(layer) << 28 | UInt32(block) << 16 | (values ? 1 << 15 : 0) | UInt32(element)
    }

    static func floatsPerBlock(_ pages: KVPages) -> Int { pages.blockBytes / 4 }

    /// Writes the pattern into `blocks` of every layer of `pages`.
    static func fill(_ pages: KVPages, blocks: [Int]) {
        for layer in pages.layers {
            for block in blocks {
                for values in [false, true] {
                    let p = pages.pointer(layer: layer, block: block, values: values)!
                        .assumingMemoryBound(to: UInt32.self)
                    for e in 0..<floatsPerBlock(pages) { p[e] = pattern(layer: layer, block: block, values: values, element: e) }
                }
            }
        }
    }

    /// Expects `local[i]` of `pages` to hold the pattern of `remote[i]` in every layer of `pages`, K and V.
    static func expectCopied(_ pages: KVPages, local: [Int], remote: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        var mismatches = 0
        for layer in pages.layers {
            for (l, r) in zip(local, remote) {
                for values in [false, true] {
                    let p = pages.pointer(layer: layer, block: l, values: values)!.assumingMemoryBound(to: UInt32.self)
                    for e in 0..<floatsPerBlock(pages) where p[e] != pattern(layer: layer, block: r, values: values, element: e) {
                        mismatches += 1
                    }
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) elements differ", sourceLocation: sourceLocation)
    }

    /// Expects every block of `pages` except `except` to be all zero bits (nothing written outside the named blocks).
    static func expectZero(_ pages: KVPages, except: Set<Int> = [], sourceLocation: SourceLocation = #_sourceLocation) {
        var nonZero = 0
        for layer in pages.layers {
            for block in 0..<pages.numBlocks where !except.contains(block) {
                for values in [false, true] {
                    let p = pages.pointer(layer: layer, block: block, values: values)!.assumingMemoryBound(to: UInt32.self)
                    for e in 0..<floatsPerBlock(pages) where p[e] != 0 { nonZero += 1 }
                }
            }
        }
        #expect(nonZero == 0, "\(nonZero) elements written outside the named blocks", sourceLocation: sourceLocation)
    }

    /// Expects `body` to fail with `code` and a message containing every one of `words`.
    static func expectError(
        _ code: StatusCode, _ words: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch let e as RPCError {
            #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
            for w in words { #expect(e.message.contains(w), "\(e.message) lacks \"\(w)\"", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }
}
