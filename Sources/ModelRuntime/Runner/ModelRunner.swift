import CKernels
import Foundation
import ServingCore

/// The model runner (vLLM `GPUModelRunner`; docs/architecture.md §5): owns the model, the KV cache, the persistent
/// batch and the sampler, and turns each `SchedulerOutput` into sampled tokens.
///
/// Not thread-safe: the runner service calls it from one task at a time. A refused step (`RunnerError`)
/// leaves every piece of state as it was.
public final class ModelRunner {
    public let config: ModelConfig
    public let maxModelLen: Int
    let model: LlamaModel
    var sampler: Sampler
    public private(set) var kvCache: KVCache?
    /// Speculative decoding's draft model (`loadDraft`); nil without one.
    public internal(set) var draft: DraftModel?
    /// Soft per-request state, kept while a request is unscheduled or preempted.
    var requests: [String: CachedRequestState] = [:]
    /// Persistent-batch rows in order: the requests scheduled in the latest step.
    var batch: [String] = []
    /// Prompt logprobs of prefills still in progress (chunked), by request id.
    var inProgressPromptLogprobs: [String: [PositionLogprobs]] = [:]
    /// A later pipeline stage's input hidden states in batch order (grown as needed).
    var stageInput = FloatBuffer(count: 0)
    /// Test hook: when set, the logits of the sampled rows of the last step, copied before sampling (a row with k
    /// drafts: its k + 1 verification rows, one after another).
    var captureLogits = false
    var capturedLogits: [String: [Float]] = [:]
    /// LoRA serving's settings (`enableLoRA`); nil: steps that name an adapter are refused.
    public internal(set) var loraConfig: LoRAConfig?
    /// The adapters held between steps (docs/lora.md, "Runner").
    var loraCache: LoRACache?
    /// Adapters loaded from their files so far (tests: a cache hit loads nothing).
    var loraLoadCount = 0

    /// Which layers this runner holds (the whole model unless it is one stage of a pipeline).
    public let stage: PipelineStage

    /// Loads the model (or pipeline stage `stageIndex` of `stageCount`); `maxModelLen` defaults to (and is
    /// capped at) `max_position_embeddings` and any sliding window. `blasThreads` pins OpenBLAS (default
    /// `BLASThreads.defaultCount`); `dtype` is `--dtype` (docs/models.md).
    public init(
        source: ModelSource, maxModelLen: Int? = nil, blasThreads: Int? = nil, samplerSeed: UInt64 = 0,
        stageIndex: Int = 0, stageCount: Int = 1, dtype: WeightDType = .auto
    ) throws(ModelLoadError) {
        let weights = try source.loadWeights(stageIndex: stageIndex, stageCount: stageCount, dtype: dtype)
        config = weights.config
        stage = weights.stage
        var limit = config.maxPositionEmbeddings
        if let window = config.slidingWindow { limit = min(limit, window) }
        self.maxModelLen = min(maxModelLen ?? limit, limit)
        BLASThreads.set(blasThreads ?? BLASThreads.defaultCount)
        model = LlamaModel(weights: weights, maxPositions: self.maxModelLen)
        sampler = Sampler(vocabSize: config.vocabSize, seed: samplerSeed)
    }

    public var weightsBytes: Int { model.weights.byteCount }

    /// Bytes of weights one decode step reads (every layer's matmuls and the LM head, as stored).
    public var matmulWeightsBytes: Int { model.weights.matmulBytes }

    /// The formats of the matmul weights by bytes, largest first ("Q4_1 95%, Q8_0 5%", "F32 100%").
    public var weightFormat: String {
        var bytes: [String: Int] = [:]
        for part in model.weights.matmulWeights.flatMap(\.parts) { bytes[part.type.description, default: 0] += part.byteCount }
        let total = max(1, bytes.values.reduce(0, +))
        return bytes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value * 100 / total)%" }
            .joined(separator: ", ")
    }

    /// The KV layout every layer of this stage needs (one full-attention group).
    public func kvCacheSpec() -> KVCacheSpec {
        KVCacheSpec(
            numLayers: stage.layers.count, numKVHeads: config.numKVHeads, headDim: config.headDim, dtypeBytes: 4)
    }

    /// Runs a dummy forward of `maxNumBatchedTokens` tokens (split into sequences of at most `maxModelLen`)
    /// with `min(maxNumSeqs, tokens)` logits rows (the draft model's too, if any, whose weights and activations
    /// count), then reports what is left of `memoryBudgetBytes`, and the speed
    /// of a prefill and of a decode step measured on the warm workspace.
    public func profile(maxNumBatchedTokens: Int, maxNumSeqs: Int = 256, memoryBudgetBytes: Int) -> Profile {
        let profile = measureProfile(
            maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs, memoryBudgetBytes: memoryBudgetBytes)
        // The dummy KV cache is gone: its pages go back to the system instead of staying in the heap.
        Self.releaseFreedMemory()
        return profile
    }

    private func measureProfile(maxNumBatchedTokens: Int, maxNumSeqs: Int, memoryBudgetBytes: Int) -> Profile {
        let total = max(1, maxNumBatchedTokens)
        let blockSize = 16
        var lengths: [Int] = []
        var left = total
        while left > 0 {
            lengths.append(min(left, maxModelLen))
            left -= lengths.last!
        }
        // NOTE: the draft's dummy KV cache is gone before the target's is made, so the two never add up.
        let logitsRows = min(maxNumSeqs, total)
        let draftPeak = draft?.measureActivationBytes(lengths: lengths, logitsRows: logitsRows, blockSize: blockSize) ?? 0
        let blocks = lengths.reduce(0) { $0 + ($1 + blockSize - 1) / blockSize }
        let cache = KVCache(
            numLayers: stage.layers.count, numBlocks: blocks, blockSize: blockSize,
            numKVHeads: config.numKVHeads, headDim: config.headDim)
        _ = dummyForward(lengths, logitsRows: Array(0..<logitsRows), cache: cache)
        let peak = model.activationBytes + draftPeak
        let weights = weightsBytes + (draft?.weightsBytes ?? 0)
        // One prompt of up to 256 tokens (once: on a large model it is the costly one) and one decode step of up to
        // 32 sequences (the better of two).
        let prompt = min(256, total, maxModelLen)
        let prefill = dummyForward([prompt], cache: cache)
        let decodeBatch = min(32, maxNumSeqs, blocks)
        let decode = min(
            dummyForward(Array(repeating: 1, count: decodeBatch), cache: cache),
            dummyForward(Array(repeating: 1, count: decodeBatch), cache: cache))
        return Profile(
            weightsBytes: weights, peakActivationBytes: peak, availableKVCacheBytes: memoryBudgetBytes - weights - peak,
            prefillTokenSeconds: prefill / Double(prompt), decodeStepSeconds: decode, decodeBatch: decodeBatch)
    }

    /// Seconds of one forward of dummy sequences of `lengths` tokens from position 0, laid out from the first block
    /// of `cache` (16-token blocks); `logitsRows` defaults to the last token of each sequence.
    private func dummyForward(_ lengths: [Int], logitsRows: [Int]? = nil, cache: KVCache) -> Double {
        var next = 0
        var end = 0
        var lastTokens: [Int] = []
        let rows = lengths.map { length in
            let blocks = (length + cache.blockSize - 1) / cache.blockSize
            defer { next += blocks }
            end += length
            lastTokens.append(end - 1)
            return InputRow(
                numComputedTokens: 0, numScheduledTokens: length, blockIDs: Array(next..<next + blocks),
                tokenIDs: [TokenID](repeating: 0, count: length))
        }
        let inputs = InputPreparation.prepare(rows: rows, blockSize: cache.blockSize)
        let hidden = stage.isFirst ? nil : FloatBuffer(count: end * config.hiddenSize)
        let start = ContinuousClock.now
        let logitsIndices = stage.isLast ? logitsRows ?? lastTokens : []
        _ = model.forwardLayers(
            inputIDs: inputs.inputIDs, positions: inputs.positions, metadata: inputs.attentionMetadata,
            kvCache: cache, logitsIndices: logitsIndices, inputHidden: hidden?.pointer)
        for start in stride(from: 0, to: logitsIndices.count, by: model.logitsChunkRows) {
            _ = model.logits(rows: start..<min(start + model.logitsChunkRows, logitsIndices.count))
        }
        let elapsed = start.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    /// Allocates the KV cache in ordinary memory; drops all request state (old block contents are gone).
    ///
    /// Precondition: both sizes positive (the runner service checks the request before calling).
    public func initializeKVCache(numBlocks: Int, blockSize: Int) {
        initializeKVCache(numBlocks: numBlocks, blockSize: blockSize, inMemoryFile: false)
    }

    /// As `initializeKVCache(numBlocks:blockSize:)`; `inMemoryFile` puts the target's cache in a shared memory file
    /// (`KVCache.memoryFile`) when the system allows, for same-host KV transfers; the draft's never.
    public func initializeKVCache(numBlocks: Int, blockSize: Int, inMemoryFile: Bool) {
        precondition(numBlocks > 0 && blockSize > 0, "numBlocks and blockSize must be positive")
        kvCache = nil
        draft?.initializeKVCache(numBlocks: numBlocks, blockSize: blockSize)
        Self.releaseFreedMemory()
        kvCache = KVCache(
            numLayers: stage.layers.count, numBlocks: numBlocks, blockSize: blockSize,
            numKVHeads: config.numKVHeads, headDim: config.headDim, inMemoryFile: inMemoryFile)
        reset()
    }

    /// Forgets every request (the engine-core will resend full data).
    public func reset() {
        requests.removeAll()
        batch.removeAll()
        inProgressPromptLogprobs.removeAll()
        draft?.reset()
    }

    /// Requests the runner currently holds state for.
    public var knownRequestIDs: Set<String> { Set(requests.keys) }
}

extension ModelRunner {
    /// Returns the heap's free pages to the system; called where big buffers were just released.
    public static func releaseFreedMemory() {
        apus_release_free_memory()
    }
}
