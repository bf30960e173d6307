import Foundation
import Testing
import Wire

/// `apus runner --speculative-config` with a draft model: what the engine-core sees of it over the wire.
@Suite("Runner with a draft model", .serialized)
struct DraftRunnerTests {
    static let config = #"{"method": "draft_model", "model": "embedded", "num_speculative_tokens": 3}"#

    @Test("Describe reports the draft and its KV layout second; InitializeCache allocates both pools")
    func describeAndInitialize() async throws {
        let runner = try await ApusProcess(
            ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1", "--speculative-config", Self.config],
            name: "runner")
        defer { runner.stop() }
        let c = client(runner.wirePort)
        let d = try await c.unary("apus.v1.Runner/Describe", ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self)
        #expect(d.draftModel == "embedded" && d.draftVocabSize == 512)
        #expect(d.kvCacheSpecs.count == 2 && d.kvCacheSpecs.last == d.kvCacheSpecs.first)
        let r = try await c.unary(
            "apus.v1.Runner/InitializeCache", ApusV1.InitializeCacheRequest(numBlocks: 64, blockSize: 16),
            as: ApusV1.InitializeCacheResponse.self)
        // Per pool: 64 blocks × 4 layers × K and V × 16 slots × 2 KV heads × 32 dims × 4 bytes.
        #expect(r.kvCacheBytes == 2 * 64 * 4 * 2 * 16 * 2 * 32 * 4)
        await c.close()
    }

    @Test("a runner without --speculative-config describes no draft; a bad flag is refused before start")
    func noDraftAndBadFlag() async throws {
        let runner = try await ApusProcess(
            ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1"], name: "runner")
        defer { runner.stop() }
        let c = client(runner.wirePort)
        let d = try await c.unary("apus.v1.Runner/Describe", ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self)
        #expect(d.draftModel.isEmpty && d.kvCacheSpecs.count == 1)
        await c.close()
        let bad = try runApus([
            "runner", "--model", "embedded", "--port", "0", "--speculative-config",
            #"{"method": "draft_model", "num_speculative_tokens": 3}"#,
        ])
        #expect(bad.code != 0 && bad.output.contains("needs \"model\""), "\(bad.output)")
    }

    @Test(
        "a draft with another vocabulary is refused at start-up, naming both sizes",
        .enabled(if: ApusProcess.smolLM2 != nil, "SmolLM2 GGUF not present"))
    func vocabularyMismatch() throws {
        let config = #"{"method": "draft_model", "model": "\#(ApusProcess.smolLM2!)", "num_speculative_tokens": 3}"#
        let (code, output) = try runApus(
            ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1", "--speculative-config", config])
        #expect(code != 0 && output.contains("49152") && output.contains("512"), "\(output)")
    }
}
