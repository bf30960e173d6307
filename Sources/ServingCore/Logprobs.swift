/// The logprobs of one sampled position: the sampled token first, then the top-k (docs/architecture.md §5.3, step 13).
public struct PositionLogprobs: Sendable, Hashable, Codable {
    /// `[sampled, top1, top2, …]`.
    public var tokenIDs: [TokenID]
    /// Raw log-softmax values, parallel to `tokenIDs`.
    public var logprobs: [Float]
    /// Rank of the sampled token: the number of tokens with logprob ≥ its own (1 = best).
    public var sampledRank: Int

    public init(tokenIDs: [TokenID], logprobs: [Float], sampledRank: Int) {
        self.tokenIDs = tokenIDs
        self.logprobs = logprobs
        self.sampledRank = sampledRank
    }
}
