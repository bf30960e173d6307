import ServingCore

/// Speculative decoding counters since start, with vLLM's metric meanings (`vllm:spec_decode_*`).
///
/// Padding drafts (−1, vLLM's shape filler for some admissions) are not drafts and are not counted.
public struct SpecDecodingStats: Sendable, Hashable {
    /// Verification steps that had at least one draft.
    public var numDrafts = 0
    public var numDraftTokens = 0
    public var numAcceptedTokens = 0
    /// Index j: drafts whose token at position j was accepted.
    public var numAcceptedTokensPerPosition: [Int] = []

    public init() {}

    /// Accepted ÷ proposed draft tokens (0 before any draft).
    public var acceptanceRate: Double { numDraftTokens == 0 ? 0 : Double(numAcceptedTokens) / Double(numDraftTokens) }

    /// Tokens a verification step yields on average: the accepted drafts plus the one token every step samples.
    public var meanAcceptedLength: Double {
        numDrafts == 0 ? 0 : 1 + Double(numAcceptedTokens) / Double(numDrafts)
    }

    mutating func observe(drafts: [TokenID], numAccepted: Int) {
        let real = drafts.prefix { $0 >= 0 }.count
        guard real > 0 else { return }
        numDrafts += 1
        numDraftTokens += real
        let accepted = min(numAccepted, real)
        numAcceptedTokens += accepted
        if numAcceptedTokensPerPosition.count < real {
            numAcceptedTokensPerPosition += Array(repeating: 0, count: real - numAcceptedTokensPerPosition.count)
        }
        for j in 0..<accepted { numAcceptedTokensPerPosition[j] += 1 }
    }
}
