import ServingCore

/// The logits rows of one step, in the order the LM head computes them: one per row that samples a token (complete
/// prefill or decode), then `k + 1` per row with k drafts (verification, docs/architecture.md §5.5), then one per
/// prompt-logprob target.
struct LogitsLayout {
    struct PromptTarget {
        var reqID: String
        /// The token whose hidden state predicts `target`.
        var index: Int
        var target: TokenID
        var topK: Int
    }

    /// Batch rows that sample one token.
    var sampleRows: [Int] = []
    /// Batch rows that verify drafts.
    var specRows: [Int] = []
    var promptTargets: [PromptTarget] = []
    /// Token index of every logits row, in order.
    var indices: [Int] = []
    /// Logits rows per sampling row (1, or k + 1), for chunking without splitting a verification.
    var sampleWidths: [Int] = []

    init(ids: [String], rows: [InputRow], inputs: PreparedInputs, requests: [String: CachedRequestState]) {
        var specIndices: [Int] = []
        for (r, row) in rows.enumerated() {
            let s = requests[ids[r]]!
            if row.knownEnd >= s.numTokens {
                if row.draftTokenIDs.isEmpty {
                    sampleRows.append(r)
                    indices.append(inputs.logitsIndices[r])
                } else {
                    specRows.append(r)
                    specIndices += inputs.samplingIndices(row: r)
                }
            }
            // Prompt logprobs belong to the first prefill only, not to a recompute after preemption.
            if let k = s.samplingParams.promptLogprobs, s.outputTokenIDs.isEmpty {
                for pos in row.numComputedTokens..<row.knownEnd where pos + 1 < s.numPromptTokens {
                    promptTargets.append(
                        PromptTarget(
                            reqID: ids[r], index: Int(inputs.queryStartLoc[r]) + pos - row.numComputedTokens,
                            target: s.tokenIDs[pos + 1], topK: k))
                }
            }
        }
        sampleWidths = Array(repeating: 1, count: sampleRows.count) + specRows.map { rows[$0].draftTokenIDs.count + 1 }
        indices += specIndices + promptTargets.map(\.index)
    }

    /// Rows of one-token sampling: `0..<numSampled`; verification rows: up to `numSampling`; then prompt targets.
    var numSampled: Int { sampleRows.count }
    var numSampling: Int { sampleWidths.reduce(0, +) }

    /// Consecutive ranges of logits rows of at most `maxRows` rows, except that one row's verification rows stay in
    /// one range (taken whole, even when more than `maxRows`).
    func chunks(maxRows: Int) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var (start, end) = (0, 0)
        for width in sampleWidths + Array(repeating: 1, count: promptTargets.count) {
            if end > start && end + width - start > maxRows {
                chunks.append(start..<end)
                start = end
            }
            end += width
        }
        if end > start { chunks.append(start..<end) }
        return chunks
    }
}
