#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Categorical sampling by exponential race (docs/architecture.md §5.3, step 11): the token maximising
/// `p_i / q_i` with `q_i ~ Exp(1)` i.i.d. is distributed as `p`.
enum ExponentialRace {
    /// Just below `ln 2⁻²⁴`: `u ≤ 1 − 2⁻²⁴` for every uniform `CounterRandom` draws, so `q ≥ 2⁻²⁴`
    /// and a token whose `p_i / best` is below this bound can never win and needs no random number.
    static let hopelessLogRatio: Float = -16.65
    /// Slack on the `u > 1 − p/B` pre-test, larger than its rounding error, so it never skips a winner.
    static let preTestSlack: Float = 2.4e-7

    /// Samples one token from `softmax(logits)`; −inf tokens never win. `q_i = −ln random.uniform(i)`,
    /// so the draw is a pure function of the logits and the stream.
    ///
    /// NOTE: a token beats the current best score `B` only if `u_i > exp(−p_i/B)`, which needs
    /// `u_i > 1 − p_i/B`; that cheap test (and skipping hopeless tokens outright) avoids a logarithm
    /// for almost every token. Starting from the argmax makes `B` large early.
    static func sample(_ logits: UnsafeMutableBufferPointer<Float>, random: CounterRandom) -> Int {
        let row = UnsafeBufferPointer(logits)
        let first = RowScan.argmax(row)
        let top = row[first]
        guard top.isFinite else { return first }
        var race = Race(best: first, score: 1 / -logf(random.uniform(first)), top: top)
        var i = 0
        while i + 8 <= row.count {
            let v = RowScan.load(row, i)
            if any(v .> race.floor) {
                // Eight exps and uniforms at once; a lane that may win is then checked exactly.
                let p = FastExp.exp(v - top)
                let u = random.uniform8(from: i)
                let contender = (v .> race.floor) .& (u .> race.preTestBound - p * race.inverseScore)
                if any(contender) {
                    for j in 0..<8 where contender[j] && i + j != first { race.offer(i + j, p: p[j], u: u[j]) }
                }
            }
            i += 8
        }
        while i < row.count {
            if row[i] > race.floor && i != first {
                let p = FastExp.exp(row[i] - top)
                let u = random.uniform(i)
                if u > race.preTestBound - p * race.inverseScore { race.offer(i, p: p, u: u) }
            }
            i += 1
        }
        return race.best
    }

    /// The leader of the race so far and the bounds that let most tokens be skipped.
    private struct Race {
        var best: Int
        var score: Float
        var inverseScore: Float
        /// Logits at or below this cannot win (see `hopelessLogRatio`).
        var floor: Float
        let top: Float
        let preTestBound: Float = 1 - ExponentialRace.preTestSlack

        init(best: Int, score: Float, top: Float) {
            self.best = best
            self.score = score
            self.inverseScore = 1 / score
            self.floor = top + logf(score) + ExponentialRace.hopelessLogRatio
            self.top = top
        }

        mutating func offer(_ i: Int, p: Float, u: Float) {
            let s = p / -logf(u)
            guard s > score else { return }
            self = Race(best: i, score: s, top: top)
        }
    }

    /// The first index of the largest logit (docs/architecture.md §5.3, step 7); 0 for an all-masked row.
    static func greedy(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        RowScan.argmax(UnsafeBufferPointer(logits))
    }
}
