import ServingCore
import Testing

@testable import ModelRuntime

/// The forward pass against transformers' logits on the committed tiny checkpoints.
@Suite("Forward pass matches transformers")
struct GoldenForwardTests {
    static let models = ["tiny-llama", "tiny-qwen2", "tiny-qwen3"]

    @Test("goldens were recorded with greedy choices well clear of float noise", arguments: models)
    func goldenGapsAreLarge(name: String) throws {
        #expect(try Fixtures.golden(name).smallest_gap > 1e-3)
        #expect(try Fixtures.golden(name + "-bf16").smallest_gap > 1e-3)
    }

    @Test("every position's logits of one whole prefill are within 1e-4 relative", arguments: models)
    func wholePrefillLogits(name: String) throws {
        let runner = try ModelRunner(source: .directory(Fixtures.path(name)))
        for c in try Fixtures.golden(name).cases {
            let tokens = c.prompt + c.greedy.dropLast()
            let logits = forwardAllPositions(runner, tokens)
            for (p, expected) in c.logits.enumerated() {
                #expect(Fixtures.relativeError(logits[p], expected) < 1e-4, "position \(p)")
            }
        }
    }

    @Test("small GEMM tiles across threads give the same logits", arguments: models)
    func tiledParallelPrefill(name: String) throws {
        let runner = try ModelRunner(source: .directory(Fixtures.path(name)))
        runner.model.attention.queryTile = 3
        runner.model.attention.parallelWorkThreshold = 0
        for c in try Fixtures.golden(name).cases {
            let logits = forwardAllPositions(runner, c.prompt + c.greedy.dropLast())
            for (p, expected) in c.logits.enumerated() {
                #expect(Fixtures.relativeError(logits[p], expected) < 1e-4, "position \(p)")
            }
        }
    }

    @Test("bf16 checkpoints load and match transformers run in f32 on the converted weights", arguments: models)
    func bf16Logits(name: String) throws {
        let runner = try ModelRunner(source: .directory(Fixtures.path(name + "-bf16")))
        for c in try Fixtures.golden(name + "-bf16").cases {
            let logits = forwardAllPositions(runner, c.prompt + c.greedy.dropLast())
            for (p, expected) in c.logits.enumerated() {
                #expect(Fixtures.relativeError(logits[p], expected) < 1e-4, "position \(p)")
            }
        }
    }

    /// One prefill of `tokens` in a fresh cache, with logits for every position (with `lora`'s adapters, if any).
    func forwardAllPositions(_ runner: ModelRunner, _ tokens: [TokenID], lora: LoRAMapping? = nil) -> [[Float]] {
        let blockSize = 4
        let blocks = (tokens.count + blockSize - 1) / blockSize
        let cache = KVCache(
            numLayers: runner.config.numLayers, numBlocks: blocks, blockSize: blockSize,
            numKVHeads: runner.config.numKVHeads, headDim: runner.config.headDim)
        let inputs = InputPreparation.prepare(
            rows: [
                InputRow(
                    numComputedTokens: 0, numScheduledTokens: tokens.count, blockIDs: Array(0..<blocks),
                    tokenIDs: tokens)
            ], blockSize: blockSize)
        let logits = runner.model.forward(
            inputIDs: inputs.inputIDs, positions: inputs.positions,
            metadata: inputs.attentionMetadata, kvCache: cache,
            logitsIndices: Array(0..<tokens.count), lora: lora)
        let vocab = runner.config.vocabSize
        return (0..<tokens.count).map { Array(UnsafeBufferPointer(start: logits + $0 * vocab, count: vocab)) }
    }
}
