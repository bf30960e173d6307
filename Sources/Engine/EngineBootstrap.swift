import Scheduling
import ServingCore

/// Starts an engine-core against its runners: Describe + Profile, KV sizing, InitializeCache, then the engine.
public struct EngineBootstrap: Sendable {
    /// Flags with vLLM's names; nil means "take the runner's value" or "compute it".
    public struct Options: Sendable {
        public var blockSize = 16
        public var maxModelLen: Int?
        public var maxNumSeqs = 256
        /// nil: chosen from the runners' measured speed (`TokenBudget`), profiled at `TokenBudget.cap`.
        public var maxNumBatchedTokens: Int?
        public var enablePrefixCaching = true
        public var enableChunkedPrefill = true
        public var longPrefillTokenThreshold = 0
        public var policy: SchedulingPolicy = .fcfs
        public var numGPUBlocksOverride: Int?
        public var kvCacheMemoryBytes: Int?
        public var hashSeed: UInt64 = 0
        public var runnerLossTimeout: Duration = .seconds(30)
        /// Two steps in flight (docs/architecture.md §4.9): step N+1 is scheduled and submitted before step N's
        /// output is applied.
        /// On by default, as in vLLM 0.27+: it measured faster (up to +63% steps/s when output processing costs
        /// CPU) and never slower beyond noise; false gives the synchronous, depth-1 loop.
        public var asyncScheduling = true
        /// Admission bound: tokens (prompt + max output) of the requests held at once (`EngineCore.Configuration`).
        public var maxPendingTokens = EngineCore.Configuration.defaultMaxPendingTokens
        /// Makes the structured-output compiler from the first runner's profile (its model, hence its tokenizer);
        /// nil, or a nil result, leaves structured outputs off.
        public var makeGrammarCompiler: (@Sendable (RunnerProfile) throws -> GrammarCompiler?)?
        /// `--speculative-config`: speculative decoding; it makes scheduling synchronous (see
        /// `EngineCore.Configuration.speculative`).
        public var speculative: SpeculativeConfig?
        /// `--enable-lora`: the most distinct LoRA adapters among running requests (`--max-loras`); nil = LoRA off.
        /// Every runner must have been started with `--enable-lora`.
        public var maxLoras: Int?
        /// Disaggregated prefill/decode: the engine's role and timing (`--kv-role` …), and its line to producers.
        public var kvTransfer = KVTransferConfig()
        public var kvPeers: (any KVTransferPeers)?
        public var kvTransferLog: (@Sendable (String) -> Void)?
        public init() {}
    }

    public struct Started: Sendable {
        public var engine: EngineCore
        public var profiles: [RunnerProfile]
        public var sizing: KVCacheSizing
        /// The token budget per step: the option, or the one chosen from the runners' speed.
        public var maxNumBatchedTokens: Int
    }

    public static func start(
        executor: any ModelExecutor, options: Options, onStepDelivered: (@Sendable () -> Void)? = nil
    ) async throws -> Started {
        let profiles = try await executor.describe(
            maxNumBatchedTokens: options.maxNumBatchedTokens ?? TokenBudget.cap, maxNumSeqs: options.maxNumSeqs)
        guard let first = profiles.first else { throw KVCacheSizingError.noRunners }
        if let spec = options.speculative, spec.runnerProposes {
            guard let draft = first.draftModel else {
                throw EngineRequestError.invalid(
                    "--speculative-config names a draft model, but the runner has none: start it with the same "
                        + "--speculative-config")
            }
            guard first.draftVocabSize == first.vocabSize else {
                throw EngineRequestError.invalid(
                    "the draft model \(draft) has a vocabulary of \(first.draftVocabSize) tokens, the target "
                        + "\(first.vocabSize): they must share one tokenizer")
            }
        }
        if options.maxLoras != nil, let runner = profiles.first(where: { $0.maxLoRARank == 0 }) {
            throw EngineRequestError.invalid(
                "--enable-lora: the runner of \(runner.model) was started without --enable-lora; start every runner "
                    + "with it")
        }
        let runnerMax = profiles.map(\.maxModelLen).min()!
        let maxModelLen = options.maxModelLen ?? runnerMax
        guard maxModelLen <= runnerMax else {
            throw EngineRequestError.invalid(
                "--max-model-len \(maxModelLen) exceeds the model's max_position_embeddings (\(runnerMax))")
        }
        let sizing = try KVCacheSizing.compute(
            profiles: profiles, blockSize: options.blockSize, maxModelLen: maxModelLen,
            numGPUBlocksOverride: options.numGPUBlocksOverride, kvCacheMemoryBytes: options.kvCacheMemoryBytes)
        try await executor.initializeCache(numBlocks: sizing.numBlocks, blockSize: options.blockSize)
        var config = SchedulerConfig(numGPUBlocks: sizing.numBlocks, maxModelLen: maxModelLen)
        config.blockSize = options.blockSize
        config.maxNumSeqs = options.maxNumSeqs
        // NOTE: without chunked prefill a prompt must fit one step, so the budget stays at the profiled size; a
        // chosen budget still holds one decode token of every sequence the scheduler may run.
        let budget =
            options.maxNumBatchedTokens
            ?? (options.enableChunkedPrefill
                ? max(options.maxNumSeqs, TokenBudget.choose(speeds: profiles.map(\.speed), blockSize: options.blockSize))
                : TokenBudget.cap)
        config.maxNumBatchedTokens = budget
        config.enablePrefixCaching = options.enablePrefixCaching
        config.enableChunkedPrefill = options.enableChunkedPrefill
        config.longPrefillTokenThreshold = options.longPrefillTokenThreshold
        config.policy = options.policy
        config.hashSeed = options.hashSeed
        config.enableKVCacheEvents = options.enablePrefixCaching
        config.asyncScheduling = options.asyncScheduling
        config.maxLoras = options.maxLoras
        var engineConfig = EngineCore.Configuration(scheduler: config, vocabSize: first.vocabSize)
        engineConfig.runnerLossTimeout = options.runnerLossTimeout
        engineConfig.maxPendingTokens = options.maxPendingTokens
        engineConfig.grammarCompiler = try options.makeGrammarCompiler?(first)
        engineConfig.speculative = options.speculative
        engineConfig.kvTransfer = options.kvTransfer
        engineConfig.kvTransferLog = options.kvTransferLog
        let engine = try EngineCore(
            configuration: engineConfig, executor: executor, onStepDelivered: onStepDelivered,
            kvPeers: options.kvPeers)
        return Started(engine: engine, profiles: profiles, sizing: sizing, maxNumBatchedTokens: budget)
    }
}
