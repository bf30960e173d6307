import ServingCore

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
