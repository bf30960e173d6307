import ServingCore

/// One row of a sampling batch: the request's parameters and the token history the penalties,
/// bad words, min_tokens and the seeded generator look at.
///
/// The model runner builds one per scheduled request that samples this step (partial prefill
/// chunks do not sample). `outputTokenIDs.count` is the output position of the token being sampled,
/// which keys a seeded request's random numbers (docs/architecture.md §5.4).
public struct SamplerRow: Sendable {
    public var params: SamplingParams
    public var promptTokenIDs: [TokenID]
    public var outputTokenIDs: [TokenID]
    /// The model's EOS id; masked while `outputTokenIDs.count < params.minTokens` unless `ignoreEOS`.
    public var eosTokenID: TokenID?

    public init(params: SamplingParams, promptTokenIDs: [TokenID], outputTokenIDs: [TokenID], eosTokenID: TokenID?) {
        self.params = params
        self.promptTokenIDs = promptTokenIDs
        self.outputTokenIDs = outputTokenIDs
        self.eosTokenID = eosTokenID
    }
}

/// The token a row sampled, with its raw logprobs when the request asked for them.
public struct SampledToken: Sendable, Equatable {
    public var tokenID: TokenID
    /// Present exactly when `params.logprobs != nil`: `[sampled, top-k…]` of the raw distribution.
    public var logprobs: PositionLogprobs?

    public init(tokenID: TokenID, logprobs: PositionLogprobs?) {
        self.tokenID = tokenID
        self.logprobs = logprobs
    }
}
