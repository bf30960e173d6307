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
    /// Tokens generated before a runner restart, when the engine-core re-sends a running request in full; they
    /// follow the prompt and count as outputs (penalties, min_tokens, seeded positions).
    public var outputTokenIDs: [TokenID]

    public init(
        reqID: String, promptTokenIDs: [TokenID], samplingParams: SamplingParams = SamplingParams(),
        blockIDs: [Int], numComputedTokens: Int = 0, eosTokenID: TokenID? = nil,
        outputTokenIDs: [TokenID] = []
    ) {
        self.reqID = reqID
        self.promptTokenIDs = promptTokenIDs
        self.samplingParams = samplingParams
        self.blockIDs = blockIDs
        self.numComputedTokens = numComputedTokens
        self.eosTokenID = eosTokenID
        self.outputTokenIDs = outputTokenIDs
    }

    /// Prompt ++ outputs: every token the runner knows for the request.
    var allTokenIDs: [TokenID] { promptTokenIDs + outputTokenIDs }
}
