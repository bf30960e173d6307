import ServingCore

/// A request scheduled for the first time: everything a runner needs to hold it (docs/architecture.md §4.3).
public struct NewRequestData: Sendable, Hashable {
    public var reqID: String
    public var promptTokenIDs: [TokenID]
    public var samplingParams: SamplingParams
    /// All blocks of the request, prefix hits included.
    public var blockIDs: [Int]
    /// Tokens already in the KV cache (the prefix hit).
    public var numComputedTokens: Int
    public var loraName: String?

    public init(
        reqID: String, promptTokenIDs: [TokenID], samplingParams: SamplingParams, blockIDs: [Int],
        numComputedTokens: Int, loraName: String? = nil
    ) {
        self.reqID = reqID
        self.promptTokenIDs = promptTokenIDs
        self.samplingParams = samplingParams
        self.blockIDs = blockIDs
        self.numComputedTokens = numComputedTokens
        self.loraName = loraName
    }
}

/// Deltas for requests the runner already knows (running) or must rebuild (resumed), as parallel arrays.
public struct CachedRequestData: Sendable, Hashable {
    public var reqIDs: [String] = []
    /// Resumed after preemption: `newBlockIDs` replaces the runner's block table instead of extending it.
    public var resumedReqIDs: Set<String> = []
    /// Per request: blocks to append (or the full table if resumed).
    public var newBlockIDs: [[Int]] = []
    /// Per request: computed tokens before this step.
    public var numComputedTokens: [Int] = []
    public var numOutputTokens: [Int] = []
    /// Full token ids for requests not scheduled in the previous step (e.g. resumed ones).
    public var allTokenIDs: [String: [TokenID]] = [:]

    public init(
        reqIDs: [String] = [], resumedReqIDs: Set<String> = [], newBlockIDs: [[Int]] = [],
        numComputedTokens: [Int] = [], numOutputTokens: [Int] = [], allTokenIDs: [String: [TokenID]] = [:]
    ) {
        self.reqIDs = reqIDs
        self.resumedReqIDs = resumedReqIDs
        self.newBlockIDs = newBlockIDs
        self.numComputedTokens = numComputedTokens
        self.numOutputTokens = numOutputTokens
        self.allTokenIDs = allTokenIDs
    }
}

/// One step's decisions, sent to every runner (docs/architecture.md §4.2). A step may carry only `finishedReqIDs`.
public struct SchedulerOutput: Sendable, Hashable {
    public var stepID: Int
    public var scheduledNewReqs: [NewRequestData]
    public var scheduledCachedReqs: CachedRequestData
    /// Tokens to compute this step per request (≥ 1 each).
    public var numScheduledTokens: [String: Int]
    public var totalNumScheduledTokens: Int
    /// Finished or aborted since the previous step: runners drop their state first.
    public var finishedReqIDs: Set<String>
    /// Preempted since the previous step (informative).
    public var preemptedReqIDs: Set<String>
    /// Leading blocks shared by every request holding blocks.
    public var numCommonPrefixBlocks: Int

    public init(
        stepID: Int, scheduledNewReqs: [NewRequestData] = [], scheduledCachedReqs: CachedRequestData = .init(),
        numScheduledTokens: [String: Int] = [:], totalNumScheduledTokens: Int = 0, finishedReqIDs: Set<String> = [],
        preemptedReqIDs: Set<String> = [], numCommonPrefixBlocks: Int = 0
    ) {
        self.stepID = stepID
        self.scheduledNewReqs = scheduledNewReqs
        self.scheduledCachedReqs = scheduledCachedReqs
        self.numScheduledTokens = numScheduledTokens
        self.totalNumScheduledTokens = totalNumScheduledTokens
        self.finishedReqIDs = finishedReqIDs
        self.preemptedReqIDs = preemptedReqIDs
        self.numCommonPrefixBlocks = numCommonPrefixBlocks
    }
}
