#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ServingCore

/// Logprobs of the raw distribution (log-softmax of the unmodified logits, reference §9.2 steps 1, 13).
enum LogprobsComputation {
    /// `log Σ exp(x)`, shifted by the maximum.
    static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        var top = -Float.infinity
        for x in row where x > top { top = x }
        guard top.isFinite else { return top }
        return top + logf(FastExp.sumOfExp(row, minus: top))
    }

    /// The `k` largest entries, best first; among equal values the lower index first.
    ///
    /// One pass with a small sorted buffer for the usual k ≤ 20; a full sort only for larger k.
    static func topK(_ row: UnsafeBufferPointer<Float>, k: Int) -> [Int] {
        let k = min(k, row.count)
        guard k > 0 else { return [] }
        if k > 64 {
            return Array(row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(k))
        }
        var ids: [Int] = []
        ids.reserveCapacity(k + 1)
        for i in row.indices {
            let x = row[i]
            if ids.count == k {
                guard x > row[ids[k - 1]] else { continue }
                ids.removeLast()
            }
            // Insert after every entry ≥ x, so earlier indices win ties.
            var at = ids.count
            while at > 0 && row[ids[at - 1]] < x { at -= 1 }
            ids.insert(i, at: at)
        }
        return ids
    }

    /// `[token, top-k…]` with their logprobs and the token's rank (#entries with logprob ≥ its own).
    static func positionLogprobs(_ row: UnsafeBufferPointer<Float>, token: Int, topK k: Int) -> PositionLogprobs {
        precondition(token >= 0 && token < row.count, "token \(token) out of vocabulary")
        let lse = logSumExp(row)
        let tokenLogprob = row[token] - lse
        var rank = 0
        for x in row where x - lse >= tokenLogprob { rank += 1 }
        let top = topK(row, k: k < 0 ? row.count : k)
        var ids: [TokenID] = [TokenID(token)]
        var logprobs: [Float] = [tokenLogprob]
        ids.reserveCapacity(top.count + 1)
        logprobs.reserveCapacity(top.count + 1)
        for i in top {
            ids.append(TokenID(i))
            logprobs.append(row[i] - lse)
        }
        return PositionLogprobs(tokenIDs: ids, logprobs: logprobs, sampledRank: max(rank, 1))
    }
}
