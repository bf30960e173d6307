import ServingCore

/// Proposes drafts for a request from its tokens (prompt ++ outputs so far), on the engine loop after each step.
/// Stateless proposers need nothing else; stateful ones (suffix) keep per-request state and learn from finished
/// requests.
protocol DraftProposer: AnyObject {
    /// At most `maxDrafts` tokens expected to follow `tokens`, whose first `promptLength` are the prompt.
    func propose(reqID: String, promptLength: Int, tokens: ArraySlice<TokenID>, maxDrafts: Int) -> [TokenID]
    /// The request's new output tokens, as the engine delivers them (stop-trimmed).
    func observe(reqID: String, newTokens: [TokenID])
    /// The request is done (finished, aborted or failed): drop its state.
    func finished(reqID: String)
}

extension DraftProposer {
    func observe(reqID: String, newTokens: [TokenID]) {}
    func finished(reqID: String) {}
}

/// vLLM's `ngram` method (prompt lookup decoding): find the longest n-gram, n in [`minN`, `maxN`], that ends the
/// tokens and also occurs earlier; propose the tokens that followed its earliest such occurrence.
///
/// Same choice as vLLM 0.33's `NgramProposer`: the longest match wins, ties go to the earliest occurrence, the
/// drafts stop at the end of the known tokens, and nothing is proposed below `minN`.
final class NgramProposer: DraftProposer {
    let minN: Int
    let maxN: Int

    init(minN: Int, maxN: Int) {
        precondition(1 <= minN && minN <= maxN)
        self.minN = minN
        self.maxN = maxN
    }

    func propose(reqID: String, promptLength: Int, tokens: ArraySlice<TokenID>, maxDrafts: Int) -> [TokenID] {
        Self.propose(tokens: tokens, minN: minN, maxN: maxN, maxDrafts: maxDrafts)
    }


    static func propose(tokens: ArraySlice<TokenID>, minN: Int, maxN: Int, maxDrafts: Int) -> [TokenID] {
        let n = tokens.count
        guard maxDrafts > 0, n >= minN, n >= 2 else { return [] }
        return tokens.withContiguousStorageIfAvailable { t -> [TokenID] in
            let last = t[n - 1]
            var bestLength = 0
            var bestEnd = -1
            // An occurrence ending at `end` (before the last token) matched backwards against the suffix; scanning
            // ends from the back with `>=` leaves the earliest occurrence of the longest length.
            var end = n - 2
            while end >= 0 {
                if t[end] == last {
                    let limit = min(maxN, end + 1)
                    var length = 1
                    while length < limit && t[end - length] == t[n - 1 - length] { length += 1 }
                    if length >= bestLength {
                        bestLength = length
                        bestEnd = end
                    }
                }
                end -= 1
            }
            guard bestLength >= minN else { return [] }
            let start = bestEnd + 1
            return Array(t[start..<min(start + maxDrafts, n)])
        } ?? propose(tokens: ArraySlice(Array(tokens)), minN: minN, maxN: maxN, maxDrafts: maxDrafts)
    }
}
