import ServingCore
import Testing

@testable import ModelRuntime

@Suite("Draft model: start-up checks, KV sizing and profile")
struct DraftModelTests {
    /// A smaller draft of the embedded model's vocabulary: 2 layers, 1 KV head.
    static var smallDraft: ModelConfig {
        var c = ModelConfig.embeddedDefault
        c.numLayers = 2
        c.numKVHeads = 1
        return c
    }

    func runner(draft: ModelConfig = smallDraft, k: Int = 4) throws -> ModelRunner {
        let runner = try ModelRunner(source: .embeddedDefault)
        try runner.loadDraft(source: .dummy(draft, seed: 3), name: "small", numSpeculativeTokens: k)
        return runner
    }

    @Test("a draft with another vocabulary size is refused, naming both sizes")
    func vocabularyMismatch() throws {
        var other = Self.smallDraft
        other.vocabSize = 1024
        let runner = try ModelRunner(source: .embeddedDefault)
        let error = #expect(throws: DraftModelError.self) {
            try runner.loadDraft(source: .dummy(other, seed: 3), name: "big-vocab", numSpeculativeTokens: 4)
        }
        #expect(error == .vocabularyMismatch(draft: "big-vocab", draftVocabSize: 1024, targetVocabSize: 512))
        #expect(error?.description.contains("1024") == true && error?.description.contains("512") == true)
        #expect(runner.draft == nil)
    }

    @Test("a draft shorter than max_model_len, a pipeline stage and k = 0 are refused")
    func otherRefusals() throws {
        var short = Self.smallDraft
        short.maxPositionEmbeddings = 128
        let runner = try ModelRunner(source: .embeddedDefault)
        #expect(throws: DraftModelError.tooShort(draft: "short", draftMaxLen: 128, maxModelLen: 2048)) {
            try runner.loadDraft(source: .dummy(short, seed: 3), name: "short", numSpeculativeTokens: 4)
        }
        // With --max-model-len at or below the draft's positions it loads.
        let capped = try ModelRunner(source: .embeddedDefault, maxModelLen: 128)
        try capped.loadDraft(source: .dummy(short, seed: 3), name: "short", numSpeculativeTokens: 4)
        #expect(capped.draft?.maxModelLen == 128)
        let stage = try ModelRunner(source: .embeddedDefault, stageIndex: 0, stageCount: 2)
        #expect(throws: DraftModelError.pipelineStage) {
            try stage.loadDraft(source: .embeddedDefault, name: "embedded", numSpeculativeTokens: 4)
        }
        #expect(throws: DraftModelError.badNumSpeculativeTokens(0)) {
            try runner.loadDraft(source: .embeddedDefault, name: "embedded", numSpeculativeTokens: 0)
        }
    }

    @Test("initializeKVCache gives the draft a pool of its own with the target's block count and size")
    func kvCacheSizing() throws {
        let runner = try runner()
        let draft = try #require(runner.draft)
        #expect(draft.kvCacheSpec() == KVCacheSpec(numLayers: 2, numKVHeads: 1, headDim: 32, dtypeBytes: 4))
        runner.initializeKVCache(numBlocks: 10, blockSize: 4)
        let cache = try #require(draft.kvCache)
        #expect(cache.numBlocks == 10 && cache.blockSize == 4 && cache.keys.count == 2 && cache.numKVHeads == 1)
        #expect(cache.byteCount == 10 * draft.kvCacheSpec().bytesPerBlock(blockSize: 4))
        #expect(cache !== runner.kvCache)
        runner.initializeKVCache(numBlocks: 6, blockSize: 8)
        #expect(draft.kvCache?.numBlocks == 6 && draft.kvCache?.blockSize == 8)
    }

    @Test("profile counts the draft's weights and activations against the budget")
    func profile() throws {
        let runner = try runner()
        let draft = try #require(runner.draft)
        let plain = try ModelRunner(source: .embeddedDefault)
        let budget = 200_000_000
        let p = runner.profile(maxNumBatchedTokens: 300, maxNumSeqs: 8, memoryBudgetBytes: budget)
        let q = plain.profile(maxNumBatchedTokens: 300, maxNumSeqs: 8, memoryBudgetBytes: budget)
        #expect(draft.weightsBytes > 0 && p.weightsBytes == runner.weightsBytes + draft.weightsBytes)
        #expect(p.peakActivationBytes == q.peakActivationBytes + draft.activationBytes)
        #expect(draft.activationBytes >= 300 * 256 * 4)
        #expect(p.availableKVCacheBytes == budget - p.weightsBytes - p.peakActivationBytes)
    }
}
