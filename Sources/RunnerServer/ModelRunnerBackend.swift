import Foundation
import ModelRuntime
import ServingCore
import Synchronization
import Wire

/// The real backend: a `ModelRunner` (weights, paged KV cache, forward pass, sampler).
public final class ModelRunnerBackend: RunnerBackend, @unchecked Sendable {
    // NOTE: @unchecked because ModelRunner is a non-Sendable class; RunnerService calls us from one serial queue.
    let runner: ModelRunner
    let modelName: String
    let incarnation: String
    let memoryBudgetBytes: Int
    /// Whether the target's KV cache goes in a shared memory file, for same-host transfers (docs/disaggregation.md §3).
    let kvCacheInMemoryFile: Bool
    /// The target model's cache for KV transfers, read from any thread (`kvPages()`); the draft's is not transferred.
    private let pages = Mutex<KVPages?>(nil)

    public init(
        runner: ModelRunner, modelName: String, incarnation: String, memoryBudgetBytes: Int,
        kvCacheInMemoryFile: Bool = false
    ) {
        self.runner = runner
        self.modelName = modelName
        self.incarnation = incarnation
        self.memoryBudgetBytes = memoryBudgetBytes
        self.kvCacheInMemoryFile = kvCacheInMemoryFile
    }

    public var isCacheInitialized: Bool { runner.kvCache != nil }

    /// The target's KV layout first, then the draft model's (same block ids, a pool of its own) if there is one;
    /// `max_lora_rank` is `--max-lora-rank` with `--enable-lora`, else 0 (steps naming adapters are refused).
    public func describe() -> ApusV1.RunnerDescription {
        let config = runner.config
        let specs = [runner.kvCacheSpec()] + (runner.draft.map { [$0.kvCacheSpec()] } ?? [])
        return ApusV1.RunnerDescription(
            model: modelName, architecture: config.architecture.rawValue, vocabSize: UInt32(config.vocabSize),
            maxModelLen: UInt32(runner.maxModelLen),
            kvCacheSpecs: specs.map { spec in
                ApusV1.KVCacheSpec(
                    numLayers: UInt32(spec.numLayers), numKVHeads: UInt32(spec.numKVHeads),
                    headDim: UInt32(spec.headDim), dtypeBytes: UInt32(spec.dtypeBytes))
            },
            firstLayer: UInt32(runner.stage.layers.lowerBound), endLayer: UInt32(runner.stage.layers.upperBound),
            numLayersTotal: UInt32(runner.stage.numLayersTotal),
            device: "cpu", incarnationID: incarnation, eosTokenIDs: config.eosTokenIDs, bosTokenID: config.bosTokenID,
            weightsBytes: UInt64(runner.weightsBytes), draftModel: runner.draft?.name ?? "",
            draftVocabSize: UInt32(runner.draft?.config.vocabSize ?? 0), shape: ApusV1.ModelShape(config.shape),
            maxLoraRank: UInt32(runner.loraConfig?.maxLoRARank ?? 0))
    }

    public func profile(_ request: ApusV1.ProfileRequest) -> ApusV1.ProfileResult {
        let p = runner.profile(
            maxNumBatchedTokens: Int(request.maxNumBatchedTokens), maxNumSeqs: Int(max(1, request.maxNumSeqs)),
            memoryBudgetBytes: memoryBudgetBytes)
        return ApusV1.ProfileResult(
            availableKVBytes: UInt64(max(0, p.availableKVCacheBytes)), weightsBytes: UInt64(p.weightsBytes),
            peakActivationBytes: UInt64(p.peakActivationBytes), totalBytes: UInt64(memoryBudgetBytes),
            prefillTokenSeconds: p.prefillTokenSeconds, decodeStepSeconds: p.decodeStepSeconds,
            decodeBatch: UInt32(p.decodeBatch))
    }

    public func kvPages() -> KVPages? { pages.withLock { $0 } }

    public func initializeCache(numBlocks: Int, blockSize: Int) throws -> UInt64 {
        pages.withLock { $0 = nil }
        runner.initializeKVCache(numBlocks: numBlocks, blockSize: blockSize, inMemoryFile: kvCacheInMemoryFile)
        let made = KVPages(
            cache: runner.kvCache!, model: modelName, layers: runner.stage.layers,
            numLayersTotal: runner.stage.numLayersTotal, incarnationID: incarnation)
        pages.withLock { $0 = made }
        let specs = [runner.kvCacheSpec()] + (runner.draft.map { [$0.kvCacheSpec()] } ?? [])
        return UInt64(numBlocks * specs.reduce(0) { $0 + $1.bytesPerBlock(blockSize: blockSize) })
    }

    public func execute(_ step: ApusV1.SchedulerOutput) throws -> ApusV1.ModelRunnerOutput {
        var output = try runner.execute(SchedulerOutput(step))
        output.runnerIncarnation = incarnation
        return ApusV1.ModelRunnerOutput(output)
    }

    public func reset() {
        runner.reset()
    }
}
