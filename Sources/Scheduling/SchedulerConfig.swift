/// The scheduler's knobs, with vLLM's names and defaults (docs/scheduling.md §2); checked up front by `validate()`.
public struct SchedulerConfig: Sendable, Hashable, Codable {
    /// Tokens per KV block.
    public var blockSize: Int = 16
    /// KV blocks in the pool, counting the null block 0 (usable = numGPUBlocks − 1).
    public var numGPUBlocks: Int
    public var maxNumSeqs: Int = 256
    public var maxNumBatchedTokens: Int = 2048
    public var maxModelLen: Int
    public var enablePrefixCaching: Bool = true
    public var enableChunkedPrefill: Bool = true
    /// Caps the tokens one prefill takes per step when more than one request is in the system; 0 = off.
    public var longPrefillTokenThreshold: Int = 0
    public var policy: SchedulingPolicy = .fcfs
    /// Admission needs room for the whole current sequence, not only its first chunk (vLLM 0.33 default).
    public var reserveFullSequence: Bool = true
    /// Seed of the prefix-cache root hash (every process that hashes blocks must use the same one).
    public var hashSeed: UInt64 = 0
    /// Record KV-cache events for `Scheduler.takeKVEvents()`.
    public var enableKVCacheEvents: Bool = false
    /// Async scheduling (docs/scheduling.md §14): the engine schedules step N+1 before step N's tokens are in, and the
    /// scheduler counts those unknown tokens as output placeholders. Off: the synchronous, depth-1 behaviour.
    public var asyncScheduling: Bool = false
    /// Speculative decoding (docs/scheduling.md §15): the most draft tokens a request verifies per step (vLLM
    /// `num_speculative_tokens`); 0 = off. The scheduler only counts them: drafts come from `updateDraftTokenIDs`.
    public var numSpeculativeTokens: Int = 0
    /// KV slots reserved past a request's scheduled tokens (vLLM `num_lookahead_tokens`): where a draft model
    /// writes the KV of the drafts it proposes after the step. 0 unless a draft model proposes.
    public var numLookaheadTokens: Int = 0
    /// LoRA (docs/lora.md): the most distinct adapters among running requests (vLLM `max_loras`); nil = LoRA off.
    public var maxLoras: Int?
    /// A waiting request kept out by `maxLoras` for this many steps fences the queue: no request of another adapter
    /// is admitted until it is, so the adapters already running drain and free a slot (vLLM has no such bound, and a
    /// steady stream of one running adapter's requests keeps the others out forever). 0 = never (vLLM's behaviour).
    public var loraStarvationSteps: Int = 32

    public init(numGPUBlocks: Int, maxModelLen: Int) {
        self.numGPUBlocks = numGPUBlocks
        self.maxModelLen = maxModelLen
    }

    public init(
        blockSize: Int = 16, numGPUBlocks: Int, maxNumSeqs: Int = 256, maxNumBatchedTokens: Int = 2048,
        maxModelLen: Int, enablePrefixCaching: Bool = true, enableChunkedPrefill: Bool = true,
        longPrefillTokenThreshold: Int = 0, policy: SchedulingPolicy = .fcfs, reserveFullSequence: Bool = true,
        hashSeed: UInt64 = 0, enableKVCacheEvents: Bool = false, numSpeculativeTokens: Int = 0
    ) {
        self.blockSize = blockSize
        self.numGPUBlocks = numGPUBlocks
        self.maxNumSeqs = maxNumSeqs
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.maxModelLen = maxModelLen
        self.enablePrefixCaching = enablePrefixCaching
        self.enableChunkedPrefill = enableChunkedPrefill
        self.longPrefillTokenThreshold = longPrefillTokenThreshold
        self.policy = policy
        self.reserveFullSequence = reserveFullSequence
        self.hashSeed = hashSeed
        self.enableKVCacheEvents = enableKVCacheEvents
        self.numSpeculativeTokens = numSpeculativeTokens
    }

    /// Throws naming the first field out of range and what is allowed.
    public func validate() throws(SchedulerConfigError) {
        func fail(_ f: String, _ m: String) -> SchedulerConfigError { SchedulerConfigError(field: f, message: m) }
        guard blockSize >= 1 else { throw fail("block_size", "block_size must be at least 1, got \(blockSize)") }
        guard numGPUBlocks >= 2 else {
            throw fail(
                "num_gpu_blocks", "num_gpu_blocks must be at least 2 (block 0 is the null block), got \(numGPUBlocks)")
        }
        guard maxNumSeqs >= 1 else { throw fail("max_num_seqs", "max_num_seqs must be at least 1, got \(maxNumSeqs)") }
        guard maxModelLen >= 1 else {
            throw fail("max_model_len", "max_model_len must be at least 1, got \(maxModelLen)")
        }
        guard maxNumBatchedTokens >= maxNumSeqs else {
            throw fail(
                "max_num_batched_tokens",
                "max_num_batched_tokens (\(maxNumBatchedTokens)) must be at least max_num_seqs (\(maxNumSeqs))")
        }
        guard enableChunkedPrefill || maxNumBatchedTokens >= maxModelLen else {
            throw fail(
                "max_num_batched_tokens",
                "max_num_batched_tokens (\(maxNumBatchedTokens)) must be at least max_model_len (\(maxModelLen)) "
                    + "when chunked prefill is disabled")
        }
        guard numSpeculativeTokens >= 0 else {
            throw fail(
                "num_speculative_tokens", "num_speculative_tokens must be at least 0, got \(numSpeculativeTokens)")
        }
        guard numLookaheadTokens >= 0 else {
            throw fail("num_lookahead_tokens", "num_lookahead_tokens must be at least 0, got \(numLookaheadTokens)")
        }
        if let maxLoras, maxLoras < 1 {
            throw fail("max_loras", "max_loras must be at least 1, got \(maxLoras)")
        }
        guard loraStarvationSteps >= 0 else {
            throw fail("lora_starvation_steps", "lora_starvation_steps must be at least 0, got \(loraStarvationSteps)")
        }
        guard longPrefillTokenThreshold >= 0, longPrefillTokenThreshold <= maxModelLen else {
            throw fail(
                "long_prefill_token_threshold",
                "long_prefill_token_threshold must be in [0, max_model_len=\(maxModelLen)], "
                    + "got \(longPrefillTokenThreshold)")
        }
    }
}

/// A scheduler setting out of range; `field` is the vLLM flag name without dashes.
public struct SchedulerConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { message }
}
