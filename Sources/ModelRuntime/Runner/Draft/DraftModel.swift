import ServingCore

/// Speculative decoding's draft model inside the runner (vLLM's `draft_model` method; docs/architecture.md §5.6):
/// a smaller model with the target's vocabulary that proposes each request's next `numSpeculativeTokens` tokens
/// greedily after every step, for the target to verify in the next one.
///
/// Its KV lives in a cache of its own with the target's `numBlocks` and `blockSize`, addressed by the same block
/// ids: the engine-core allocates every block once for both (the draft's bytes per block are the second
/// `kv_cache_specs` entry of Describe) and reserves `numSpeculativeTokens` lookahead slots past each request's
/// scheduled tokens for the KV the proposal writes.
///
/// Invariant the runner keeps: every target forward is mirrored by `catchUp` over the same inputs, so the draft's
/// KV is valid wherever the target's is (positions below a request's `numComputedTokens`, prefix-cache hits
/// included). Not thread-safe: the runner calls it from its one thread.
public final class DraftModel {
    /// The draft's path as given (`draft_model` in Describe).
    public let name: String
    public let config: ModelConfig
    public let numSpeculativeTokens: Int
    /// Positions the draft may compute: the target runner's max_model_len.
    public let maxModelLen: Int
    let model: LlamaModel
    public private(set) var kvCache: KVCache?
    /// What the latest `catchUp` fed per request: its first position and the token ids from there on. `propose`
    /// compares them with the tokens the request really holds to find the first position whose KV is stale.
    var fed: [String: (start: Int, tokens: ArraySlice<TokenID>)] = [:]

    /// Loads the draft and checks it against the target: the same vocabulary size, at least `maxModelLen`
    /// positions. The config is read (and checked) before the weights are.
    public init(
        source: ModelSource, name: String, numSpeculativeTokens: Int, target: ModelConfig, maxModelLen: Int,
        dtype: WeightDType = .auto
    ) throws(DraftModelError) {
        guard numSpeculativeTokens >= 1 else { throw .badNumSpeculativeTokens(numSpeculativeTokens) }
        let config: ModelConfig
        do { config = try source.config() } catch { throw .load(error) }
        guard config.vocabSize == target.vocabSize else {
            throw .vocabularyMismatch(draft: name, draftVocabSize: config.vocabSize, targetVocabSize: target.vocabSize)
        }
        let limit = min(config.maxPositionEmbeddings, config.slidingWindow ?? .max)
        guard limit >= maxModelLen else { throw .tooShort(draft: name, draftMaxLen: limit, maxModelLen: maxModelLen) }
        let weights: LlamaWeights
        do { weights = try source.loadWeights(dtype: dtype) } catch { throw .load(error) }
        self.name = name
        self.config = weights.config
        self.numSpeculativeTokens = numSpeculativeTokens
        self.maxModelLen = maxModelLen
        model = LlamaModel(weights: weights, maxPositions: maxModelLen)
    }

    public var weightsBytes: Int { model.weights.byteCount }

    /// Peak activation bytes of the draft's forwards so far (its workspace is its own).
    public var activationBytes: Int { model.activationBytes }

    /// The draft's KV layout: the second `kv_cache_specs` entry of Describe.
    public func kvCacheSpec() -> KVCacheSpec {
        KVCacheSpec(numLayers: config.numLayers, numKVHeads: config.numKVHeads, headDim: config.headDim, dtypeBytes: 4)
    }

    /// Allocates the draft's KV cache with the target's `numBlocks` and `blockSize` (block ids are shared); called
    /// from `ModelRunner.initializeKVCache`. The old cache is released first.
    public func initializeKVCache(numBlocks: Int, blockSize: Int) {
        kvCache = nil
        fed.removeAll()
        ModelRunner.releaseFreedMemory()
        kvCache = KVCache(
            numLayers: config.numLayers, numBlocks: numBlocks, blockSize: blockSize, numKVHeads: config.numKVHeads,
            headDim: config.headDim)
    }

    /// Forgets what the latest catch-up fed (the runner dropped its requests).
    public func reset() {
        fed.removeAll()
    }

    /// Runs one dummy forward of sequences of `lengths` tokens (the runner's profile batch) with `logitsRows` logits
    /// rows, so the workspace reaches the size a step of that batch needs; returns the peak activation bytes.
    /// Uses a throwaway KV cache of just enough `blockSize` blocks.
    public func measureActivationBytes(lengths: [Int], logitsRows: Int, blockSize: Int) -> Int {
        var next = 0
        let rows = lengths.map { length in
            let blocks = (length + blockSize - 1) / blockSize
            defer { next += blocks }
            return InputRow(
                numComputedTokens: 0, numScheduledTokens: length, blockIDs: Array(next..<next + blocks),
                tokenIDs: [TokenID](repeating: 0, count: length))
        }
        let cache = KVCache(
            numLayers: config.numLayers, numBlocks: max(1, next), blockSize: blockSize,
            numKVHeads: config.numKVHeads, headDim: config.headDim)
        let inputs = InputPreparation.prepare(rows: rows, blockSize: blockSize)
        let logitsIndices = Array(0..<min(logitsRows, inputs.inputIDs.count))
        _ = model.forwardLayers(
            inputIDs: inputs.inputIDs, positions: inputs.positions, metadata: inputs.attentionMetadata,
            kvCache: cache, logitsIndices: logitsIndices)
        for start in stride(from: 0, to: logitsIndices.count, by: model.logitsChunkRows) {
            _ = model.logits(rows: start..<min(start + model.logitsChunkRows, logitsIndices.count))
        }
        return model.activationBytes
    }
}
