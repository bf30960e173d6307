import ServingCore

/// One request's draft tokens to verify (vLLM `SpecDecodeMetadata` and `draft_probs`, for one request).
///
/// The model runner builds one per scheduled request with drafts; the sampler reads `draftTokenIDs.count + 1` logits
/// rows for it: the target model's logits at the position of each draft and at the bonus position after the last.
public struct SpecDecodeRow: Sendable {
    /// The request as ordinary sampling sees it at the first verified position: its outputs before this step.
    public var row: SamplerRow
    /// The k ≥ 1 drafts; a negative id is padding and is always rejected.
    public var draftTokenIDs: [TokenID]
    /// The draft distributions q, `k × vocabSize` row-major (row j for draft j), from a draft model; nil for a
    /// model-free proposer (n-gram prompt lookup), whose q is one-hot on its draft.
    public var draftProbs: [Float]?

    public init(row: SamplerRow, draftTokenIDs: [TokenID], draftProbs: [Float]? = nil) {
        precondition(!draftTokenIDs.isEmpty, "a spec-decode row needs at least one draft")
        self.row = row
        self.draftTokenIDs = draftTokenIDs
        self.draftProbs = draftProbs
    }

    /// The request at verification position `j`: drafts `0..<j` count as output tokens (as they are, if accepted),
    /// for the penalties, bad words, min_tokens and the seeded generator's output position.
    func row(atPosition j: Int) -> SamplerRow {
        var r = row
        r.outputTokenIDs += draftTokenIDs[..<j]
        return r
    }
}
