#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Categorical sampling by exponential race (reference §9.2 step 11): the token maximising
/// `p_i / q_i` with `q_i ~ Exp(1)` i.i.d. is distributed as `p`.
enum ExponentialRace {
    /// `ln 2⁻²⁵`: `1 − u ≥ 2⁻²⁵` for every uniform `CounterRandom` draws, so a token whose
    /// `p_i / best` is below this bound can never win and needs no random number.
    static let hopelessLogRatio: Float = -17.33

    /// Samples one token from `softmax(logits)`; −inf tokens never win. `q_i = −ln random.uniform(i)`,
    /// so the draw is a pure function of the logits and the stream.
    ///
    /// NOTE: a token beats the current best score `B` only if `u_i > exp(−p_i/B)`, which needs
    /// `u_i > 1 − p_i/B`; that cheap test (and skipping hopeless tokens outright) avoids a logarithm
    /// for almost every token. Starting from the argmax makes `B` large early.
    static func sample(_ logits: UnsafeMutableBufferPointer<Float>, random: CounterRandom) -> Int {
        let first = greedy(logits)
        let top = logits[first]
        guard top.isFinite else { return first }
        var best = first
        var bestScore = 1 / -logf(random.uniform(first))
        var cutoff = logf(bestScore) + hopelessLogRatio
        for i in logits.indices where i != first {
            let d = logits[i] - top
            guard d > cutoff else { continue }
            let p = FastExp.exp(d)
            let u = random.uniform(i)
            guard u > 1 - p / bestScore else { continue }
            let score = p / -logf(u)
            if score > bestScore {
                bestScore = score
                best = i
                cutoff = logf(bestScore) + hopelessLogRatio
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
