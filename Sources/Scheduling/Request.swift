import ServingCore

/// One generation request as the scheduler tracks it (docs/scheduling.md §1).
///
/// There is no prefill or decode phase: `numComputedTokens` simply tries to catch up with `numTokens`.
/// The scheduler advances it when it schedules a step, resets it to 0 on preemption, and the KV-cache manager
/// owns `blockIDs`. A final class because the running list, the waiting queue and the id map share it.
public final class Request {
    public let requestID: String
    public let promptTokenIDs: [TokenID]
    public let samplingParams: SamplingParams
    /// nil when `ignoreEOS` is set or the model has no EOS token.
    public let eosTokenID: TokenID?
    /// Lower is more urgent.
    public let priority: Int
    /// The LoRA adapter (nil: the base model); its name is in every block hash and counts against `max_loras`.
    public let lora: LoRARequest?
    public var loraName: String? { lora?.name }
    public let cacheSalt: String?
    /// Disaggregated prefill/decode (docs/disaggregation.md): what the router asked of this engine for the request.
    public let kvTransfer: KVTransferParams?
    /// Position in arrival order, set by `Scheduler.addRequest` (priority ties and victims go by it).
    @exclusivity(unchecked) public internal(set) var arrival: Int

    // NOTE: these are read and written on every step for every request; the scheduler is single-owner, so the
    // dynamic exclusivity checks on them buy nothing and cost a measurable share of a step.
    @exclusivity(unchecked) public internal(set) var status: RequestStatus = .waiting
    /// Prompt followed by the outputs so far.
    @exclusivity(unchecked) public private(set) var allTokenIDs: [TokenID]
    @exclusivity(unchecked) public private(set) var numComputedTokens: Int = 0
    /// Prefix-cache hit tokens at first admission; −1 until then.
    @exclusivity(unchecked) public internal(set) var numCachedTokens: Int = -1
    @exclusivity(unchecked) public internal(set) var numPreemptions: Int = 0
    /// The stop token id that finished the request, if any.
    @exclusivity(unchecked) public internal(set) var stopReason: StopReason?
    /// Chained hashes of every full block of `allTokenIDs`, extended as tokens append.
    @exclusivity(unchecked) public private(set) var blockHashes: [BlockHash] = []
    let blockHasher: BlockHasher?

    // KV-cache manager state (vLLM's req_to_blocks and num_cached_block; docs/scheduling.md §10).
    /// The blocks this request holds, in position order.
    @exclusivity(unchecked) public internal(set) var blockIDs: [Int] = []
    @exclusivity(unchecked) var numCachedBlocks: Int = 0
    /// The last step that scheduled this request (to know when to resend all token ids).
    @exclusivity(unchecked) var lastScheduledStep: Int = -1
    /// Tokens scheduled in steps whose output has not come back yet.
    @exclusivity(unchecked) var numInFlightTokens: Int = 0
    /// Of those, tokens scheduled before the last preemption (their output is stale).
    @exclusivity(unchecked) var numStaleOutputTokens: Int = 0
    /// Steps in a row this waiting request was kept out because its adapter would exceed `max_loras`.
    @exclusivity(unchecked) var numLoRABlockedSteps: Int = 0
    /// Async scheduling (docs/scheduling.md §14): sampled tokens of in-flight steps the scheduler does not know yet.
    /// Always 0 with synchronous scheduling.
    @exclusivity(unchecked) public internal(set) var numOutputPlaceholders: Int = 0
    /// Speculative decoding: the draft tokens proposed after the last step, for the next step to verify (vLLM
    /// `spec_token_ids`). Cleared once scheduled, and on preemption.
    @exclusivity(unchecked) public internal(set) var specTokenIDs: [TokenID] = []
    /// The last step that scheduled this request left part of its known tokens uncomputed (vLLM
    /// `is_prefill_chunk`): it sampled nothing, so drafts proposed after it are dropped.
    @exclusivity(unchecked) public internal(set) var isPrefillChunk = false
    /// Disaggregated decode: where the pull of the producer's KV blocks stands.
    @exclusivity(unchecked) public internal(set) var kvLoad: KVLoadState = .none

    /// Creates a waiting request; `blockHasher` (when prefix caching is on) computes `blockHashes` up front.
    public init(
        requestID: String, promptTokenIDs: [TokenID], samplingParams: SamplingParams = SamplingParams(),
        eosTokenID: TokenID? = nil, priority: Int = 0, arrival: Int = 0, lora: LoRARequest? = nil,
        cacheSalt: String? = nil, kvTransfer: KVTransferParams? = nil, blockHasher: BlockHasher? = nil
    ) {
        precondition(!promptTokenIDs.isEmpty, "a request needs at least one prompt token")
        self.requestID = requestID
        self.promptTokenIDs = promptTokenIDs
        self.samplingParams = samplingParams
        self.eosTokenID = samplingParams.ignoreEOS ? nil : eosTokenID
        self.maxTokens = samplingParams.maxTokens
        self.stopTokenIDs = samplingParams.stopTokenIDs
        self.wantsLogprobs = samplingParams.logprobs != nil
        self.priority = priority
        self.arrival = arrival
        self.lora = lora
        self.cacheSalt = cacheSalt
        self.kvTransfer = kvTransfer
        self.allTokenIDs = promptTokenIDs
        self.blockHasher = blockHasher
        self.allTokenIDs.reserveCapacity(promptTokenIDs.count + min(samplingParams.maxTokens, 4096))
        updateBlockHashes()
    }

    public var numPromptTokens: Int { promptTokenIDs.count }
    public var numTokens: Int { allTokenIDs.count }
    public var numOutputTokens: Int { allTokenIDs.count - promptTokenIDs.count }
    public var outputTokenIDs: ArraySlice<TokenID> { allTokenIDs[promptTokenIDs.count...] }
    // Copied out of `samplingParams` because the stop checks read them for every token.
    public let maxTokens: Int
    public let stopTokenIDs: [TokenID]
    let wantsLogprobs: Bool
    public var isFinished: Bool { status.isFinished }
    /// Requests that want prompt logprobs never read the prefix cache (they still write to it).
    public var skipReadingPrefixCache: Bool { samplingParams.promptLogprobs != nil }

    /// Appends one sampled token and extends `blockHashes` if it completed a block.
    public func appendOutputToken(_ token: TokenID) {
        allTokenIDs.append(token)
        if let hasher = blockHasher, allTokenIDs.count % hasher.blockSize == 0 { updateBlockHashes() }
    }

    func setNumComputedTokens(_ n: Int) {
        precondition(n >= 0 && n <= allTokenIDs.count, "numComputedTokens \(n) out of range")
        numComputedTokens = n
    }

    func advanceComputedTokens(by n: Int) { numComputedTokens += n }

    func retreatComputedTokens(by n: Int) { numComputedTokens -= n }

    private func updateBlockHashes() {
        guard let hasher = blockHasher else { return }
        hasher.extend(&blockHashes, tokenIDs: allTokenIDs, cacheSalt: cacheSalt, loraName: loraName)
    }
}

/// A disaggregated-decode request's pull of the producer's KV blocks (docs/disaggregation.md §2).
public enum KVLoadState: Sendable, Hashable {
    /// No pull: an ordinary request, or one whose pull is not decided yet.
    case none
    /// Blocks allocated, the pull handed to the engine (status `waitingForRemoteKVs`); `numTokens` prompt tokens
    /// will be computed once it lands.
    case loading(numTokens: Int)
    /// Pulled (or not needed, or given up: the request computes the rest itself); never pulled again.
    case done
}

extension Request: Hashable {
    public static func == (lhs: Request, rhs: Request) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
