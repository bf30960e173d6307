import Scheduling
import ServingCore

/// The `apus sim` input: a scheduler config and scripted requests (field names as in the JSON).
public struct Trace: Sendable, Codable {
    public struct Config: Sendable, Codable {
        public var blockSize: Int?
        public var numGPUBlocks: Int
        public var maxNumSeqs: Int?
        public var maxNumBatchedTokens: Int?
        public var maxModelLen: Int
        public var enablePrefixCaching: Bool?
        public var enableChunkedPrefill: Bool?
        public var longPrefillTokenThreshold: Int?
        public var schedulingPolicy: SchedulingPolicy?
        /// Speculative decoding: the most drafts a request verifies per step (absent or 0 = off).
        public var numSpeculativeTokens: Int?
        /// LoRA: the most distinct adapters among running requests (absent = LoRA off). The simulator applies
        /// vLLM's rule alone unless `lora_starvation_steps` is given.
        public var maxLoras: Int?
        public var loraStarvationSteps: Int?

        enum CodingKeys: String, CodingKey {
            case blockSize = "block_size"
            case numGPUBlocks = "num_gpu_blocks"
            case maxNumSeqs = "max_num_seqs"
            case maxNumBatchedTokens = "max_num_batched_tokens"
            case maxModelLen = "max_model_len"
            case enablePrefixCaching = "enable_prefix_caching"
            case enableChunkedPrefill = "enable_chunked_prefill"
            case longPrefillTokenThreshold = "long_prefill_token_threshold"
            case schedulingPolicy = "scheduling_policy"
            case numSpeculativeTokens = "num_speculative_tokens"
            case maxLoras = "max_loras"
            case loraStarvationSteps = "lora_starvation_steps"
        }

        /// The scheduler config, with vLLM's defaults for absent fields.
        public var schedulerConfig: SchedulerConfig {
            var config = SchedulerConfig(
                blockSize: blockSize ?? 16, numGPUBlocks: numGPUBlocks, maxNumSeqs: maxNumSeqs ?? 256,
                maxNumBatchedTokens: maxNumBatchedTokens ?? 2048, maxModelLen: maxModelLen,
                enablePrefixCaching: enablePrefixCaching ?? true, enableChunkedPrefill: enableChunkedPrefill ?? true,
                longPrefillTokenThreshold: longPrefillTokenThreshold ?? 0, policy: schedulingPolicy ?? .fcfs,
                numSpeculativeTokens: numSpeculativeTokens ?? 0)
            config.maxLoras = maxLoras
            config.loraStarvationSteps = loraStarvationSteps ?? 0
            return config
        }
    }

    public struct Request: Sendable, Codable {
        public var requestID: String
        public var arrivalStep: Int
        public var promptTokenIDs: [TokenID]
        public var maxTokens: Int
        public var minTokens: Int?
        public var priority: Int?
        /// What the fake model emits, in order; after the list (or without one) it emits `defaultToken`.
        public var outputTokenIDs: [TokenID]?
        public var eosTokenID: TokenID?
        public var stopTokenIDs: [TokenID]?
        public var ignoreEOS: Bool?
        /// Extension: abort the request just before this step's `schedule()`.
        public var abortStep: Int?
        /// Speculative decoding: entry j is the draft proposed after the j-th step that gave this request tokens
        /// (counted from 0, across preemptions); missing entries propose nothing.
        public var draftTokenIDs: [[TokenID]]?
        /// The request's LoRA adapter name (absent = the base model).
        public var loraName: String?

        enum CodingKeys: String, CodingKey {
            case requestID = "request_id"
            case arrivalStep = "arrival_step"
            case promptTokenIDs = "prompt_token_ids"
            case maxTokens = "max_tokens"
            case minTokens = "min_tokens"
            case priority
            case outputTokenIDs = "output_token_ids"
            case eosTokenID = "eos_token_id"
            case stopTokenIDs = "stop_token_ids"
            case ignoreEOS = "ignore_eos"
            case abortStep = "abort_step"
            case draftTokenIDs = "draft_token_ids"
            case loraName = "lora_name"
        }

        var samplingParams: SamplingParams {
            var p = SamplingParams()
            p.maxTokens = maxTokens
            p.minTokens = minTokens ?? 0
            p.stopTokenIDs = stopTokenIDs ?? []
            p.ignoreEOS = ignoreEOS ?? false
            return p
        }

        /// The fake model's k-th output token: the scripted one, else `defaultToken`.
        func scriptedToken(_ k: Int) -> TokenID {
            if let outs = outputTokenIDs, k < outs.count { return outs[k] }
            return defaultToken
        }

        /// The smallest token id ≥ 1 that is neither the EOS token nor a stop token id.
        var defaultToken: TokenID {
            var t: TokenID = 1
            while t == eosTokenID || (stopTokenIDs ?? []).contains(t) { t += 1 }
            return t
        }
    }

    public var config: Config
    public var requests: [Request]
    /// Optional cap on the number of steps (default 100,000).
    public var maxSteps: Int?

    enum CodingKeys: String, CodingKey {
        case config, requests
        case maxSteps = "max_steps"
    }
}

/// A trace that cannot be replayed.
public struct TraceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
