#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The steps after the greedy argmax that shape a random row (docs/architecture.md §5.3, steps 8–10):
/// temperature, min_p, top-k, top-p. Dropped tokens become −inf.
enum Truncation {
    /// Temperatures in (0, 0.01) are raised to 0.01, as vLLM does when it builds `SamplingParams`.
    static let minimumTemperature: Float = 0.01

    /// Divides every logit by `temperature` (step 8).
    static func applyTemperature(_ logits: UnsafeMutableBufferPointer<Float>, temperature: Float) {
        let t = max(temperature, minimumTemperature)
        guard t != 1 else { return }
        for i in logits.indices { logits[i] /= t }
    }

    /// Drops tokens whose probability is below `minP × max probability` (step 9), compared in
    /// logit space: `p_i < minP · p_max` ⇔ `l_i < l_max + ln minP`.
    static func applyMinP(_ logits: UnsafeMutableBufferPointer<Float>, minP: Float) {
        guard minP > 0 else { return }
        let top = maximum(logits)
        guard top.isFinite else { return }
        RowScan.mask(logits, below: top + logf(minP))
    }

    /// Keeps the tokens whose logit is at least the k-th largest (ties with it survive, as in vLLM).
    ///
    /// `values` is scratch of `logits.count` floats. Does nothing when `k` is off (≤ 0) or ≥ vocabulary.
    static func applyTopK(_ logits: UnsafeMutableBufferPointer<Float>, k: Int, values: UnsafeMutablePointer<Float>) {
        guard k > 0, k < logits.count else { return }
        let threshold: Float
        if k <= 256 {
            let row = UnsafeBufferPointer(logits)
            threshold = row[Selection.topK(row, k: k)[k - 1]]
        } else {
            let work = UnsafeMutableBufferPointer(start: values, count: logits.count)
            _ = work.initialize(from: logits)
            threshold = Selection.kthLargest(work, k: k)
        }
        RowScan.mask(logits, below: threshold)
    }

    /// Keeps the smallest set of most probable tokens whose mass reaches `p`, at least one (step 10).
    ///
    /// A token survives when the mass of the tokens ranked strictly above it is below `p`. Runs in
    /// expected O(vocabulary) with a mass-partitioning quickselect instead of a full sort.
    /// `values` and `indices` are scratch of `logits.count` entries.
    static func applyTopP(
        _ logits: UnsafeMutableBufferPointer<Float>, p: Float,
        values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>
    ) {
        guard p < 1 else { return }
        let top = maximum(logits)
        guard top.isFinite else { return }
        // Unnormalised probabilities (0 for masked tokens), by token id.
        let weights = UnsafeMutableBufferPointer(start: values, count: logits.count)
        let total = FastExp.exp(UnsafeBufferPointer(logits), minus: top, into: weights)
        // NOTE: the tokens lighter than (1 − p)·total / vocabulary together weigh at most (1 − p)·total
        // and rank below all others, so they are dropped without taking part in the selection.
        let light = (1 - p) * total / Float(logits.count)
        var n = 0
        for i in logits.indices {
            if weights[i] > light {
                indices[n] = Int32(i)
                n += 1
            } else {
                logits[i] = -.infinity
            }
        }
        // The heaviest token leads `indices` even when `p * total` rounds to 0, so keep at least it.
        let kept = max(1, Selection.topMassPrefix(
            indices: UnsafeMutableBufferPointer(start: indices, count: n), weights: values, mass: p * total))
        for j in kept..<n { logits[Int(indices[j])] = -.infinity }
    }

    static func maximum(_ logits: UnsafeMutableBufferPointer<Float>) -> Float {
        RowScan.maximum(UnsafeBufferPointer(logits))
    }
}
