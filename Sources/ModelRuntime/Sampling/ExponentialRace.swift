#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Categorical sampling by exponential race (reference §9.2 step 11): the token maximising
/// `p_i / q_i` with `q_i ~ Exp(1)` i.i.d. is distributed as `p`.
enum ExponentialRace {
    /// Samples one token from `softmax(logits)`; −inf tokens never win. `q_i` comes from
    /// `random.uniform(i)`, so the draw is a pure function of the logits and the stream.
    static func sample(_ logits: UnsafeMutableBufferPointer<Float>, random: CounterRandom) -> Int {
        let top = Truncation.maximum(logits)
        guard top.isFinite else { return greedy(logits) }
        var best = -1
        var bestScore: Float = -1
        for i in logits.indices where logits[i] > -.infinity {
            // Unnormalised probabilities rank the same as normalised ones.
            let p = expf(logits[i] - top)
            let q = -logf(random.uniform(i))
            let score = p / q
            if score > bestScore {
                bestScore = score
                best = i
            }
        }
        return best
    }

    /// The first index of the largest logit (reference §9.2 step 7); 0 for an all-masked row.
    static func greedy(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        var top = -Float.infinity
        for i in logits.indices where logits[i] > top {
            top = logits[i]
            best = i
        }
        return best
    }
}
