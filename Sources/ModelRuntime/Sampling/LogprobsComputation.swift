#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ServingCore

/// Logprobs of the raw distribution (log-softmax of the unmodified logits, docs/architecture.md §5.3, steps 1 and 13).
enum LogprobsComputation {
    /// `log Σ exp(x)`, shifted by the maximum.
    static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        let top = RowScan.maximum(row)
        guard top.isFinite else { return top }
        return top + logf(FastExp.sumOfExp(row, minus: top))
    }

    /// `[token, top-k…]` with their logprobs and the token's rank (#entries with logprob ≥ its own).
    static func positionLogprobs(_ row: UnsafeBufferPointer<Float>, token: Int, topK k: Int) -> PositionLogprobs {
        precondition(token >= 0 && token < row.count, "token \(token) out of vocabulary")
        let lse = logSumExp(row)
        let tokenLogprob = row[token] - lse
        let rank = RowScan.count(row, minus: lse, atLeast: tokenLogprob)
        let top = Selection.topK(row, k: k < 0 ? row.count : k)
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
