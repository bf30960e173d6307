import ServingCore

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
    /// Pipeline stages before the last: the tokens the last stage sampled since this stage last saw the request.
    public var newTokenIDs: [TokenID]

    public init(
        reqID: String, resumed: Bool = false, newBlockIDs: [Int] = [], numComputedTokens: Int,
        numOutputTokens: Int, allTokenIDs: [TokenID]? = nil, newTokenIDs: [TokenID] = []
    ) {
        self.reqID = reqID
        self.resumed = resumed
        self.newBlockIDs = newBlockIDs
        self.numComputedTokens = numComputedTokens
        self.numOutputTokens = numOutputTokens
        self.allTokenIDs = allTokenIDs
        self.newTokenIDs = newTokenIDs
    }
}
