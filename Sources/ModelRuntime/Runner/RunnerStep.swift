import ServingCore

/// One step from the engine-core to the runner; mirrors vLLM's `SchedulerOutput` (reference §3).
///
/// Full data is sent once per request (`newRequests`), later steps carry deltas (`cachedRequests`).
public struct RunnerStep: Sendable, Equatable {
    public var stepID: UInt64
    public var newRequests: [NewRequestData]
    public var cachedRequests: [CachedRequestData]
    /// Tokens to compute this step per scheduled request (n ≥ 1).
    public var numScheduledTokens: [String: Int]
    /// Requests finished or aborted since the previous step: the runner forgets them first.
    public var finishedReqIDs: Set<String>

    public init(stepID: UInt64, newRequests: [NewRequestData] = [], cachedRequests: [CachedRequestData] = [],
                numScheduledTokens: [String: Int] = [:], finishedReqIDs: Set<String> = []) {
        self.stepID = stepID
        self.newRequests = newRequests
        self.cachedRequests = cachedRequests
        self.numScheduledTokens = numScheduledTokens
        self.finishedReqIDs = finishedReqIDs
    }

    public var totalNumScheduledTokens: Int { numScheduledTokens.values.reduce(0, +) }
}

/// A request scheduled for the first time (vLLM `NewRequestData`).
public struct NewRequestData: Sendable, Equatable {
    public var reqID: String
    public var promptTokenIDs: [TokenID]
    public var samplingParams: SamplingParams
    /// All blocks, prefix-cache hits included.
    public var blockIDs: [Int]
    /// Tokens already in the cache (the prefix hit).
    public var numComputedTokens: Int
    public var eosTokenID: TokenID?

    public init(reqID: String, promptTokenIDs: [TokenID], samplingParams: SamplingParams = SamplingParams(),
                blockIDs: [Int], numComputedTokens: Int = 0, eosTokenID: TokenID? = nil) {
        self.reqID = reqID
        self.promptTokenIDs = promptTokenIDs
        self.samplingParams = samplingParams
        self.blockIDs = blockIDs
        self.numComputedTokens = numComputedTokens
        self.eosTokenID = eosTokenID
    }
}

/// The delta for a request the runner has seen before (one row of vLLM `CachedRequestData`).
public struct CachedRequestData: Sendable, Equatable {
    public var reqID: String
    /// Resumed after preemption: `newBlockIDs` replace the block table instead of extending it.
    public var resumed: Bool
    public var newBlockIDs: [Int]
    /// Computed tokens before this step.
    public var numComputedTokens: Int
    public var numOutputTokens: Int
    /// Prompt ++ outputs, sent for resumed requests (the runner's copy may be stale).
    public var allTokenIDs: [TokenID]?

    public init(reqID: String, resumed: Bool = false, newBlockIDs: [Int] = [], numComputedTokens: Int,
                numOutputTokens: Int, allTokenIDs: [TokenID]? = nil) {
        self.reqID = reqID
        self.resumed = resumed
        self.newBlockIDs = newBlockIDs
        self.numComputedTokens = numComputedTokens
        self.numOutputTokens = numOutputTokens
        self.allTokenIDs = allTokenIDs
    }
}
