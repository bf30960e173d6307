/// What changed for a request the runners already hold: one row of vLLM's `CachedRequestData`, whose parallel
/// lists become one value per request (docs/architecture.md §4.4).
public struct CachedRequestData: Sendable, Hashable {
    public var reqID: String
    /// Resumed after preemption: `newBlockIDs` replace the runner's block table instead of extending it.
    public var resumed: Bool
    /// Blocks to append (the full table when resumed).
    public var newBlockIDs: [Int]
    /// Tokens computed before this step.
    public var numComputedTokens: Int
    /// Output tokens the runner holds for the request, the ones of steps still in flight included.
    public var numOutputTokens: Int
    /// Prompt ++ outputs, for a request not scheduled in the previous step (resumed ones): the runner's copy may
    /// be stale. Nil otherwise.
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
