#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ServingCore

/// Speculative decoding's rejection sampler (vLLM `RejectionSampler`, after Leviathan et al., arXiv 2211.17192):
/// turns the target logits at one request's k + 1 verification positions into its accepted drafts plus one token.
///
/// Position j sees the request with drafts `0..<j` as outputs (`SpecDecodeRow.row(atPosition:)`) and goes through
/// the ordinary sampler's processors and truncation, so its target distribution p_j is the one ordinary sampling
/// would draw that output position from. A greedy row accepts d_j while it is the argmax; a random row accepts it
/// with probability min(1, p_j(d_j) / q_j(d_j)). The first rejected position emits a token of the normalised residual
/// max(0, p_j − q_j) (a greedy row: the argmax); when all k are accepted, the bonus token is drawn from p_k. Positions
/// after the first rejection are not looked at. Logprobs, when asked, are those of the raw logits at each position,
/// as in ordinary sampling.
///
/// Pure apart from `scratch`, like `SamplingPipeline`.
enum RejectionSampler {
    /// Verifies `spec` against `logits` (`(k + 1) × vocabSize`, row j at position j; modified in place) and returns the
    /// accepted drafts and one more token. `random` holds one stream per position, nil exactly for greedy rows: the
    /// recovered or bonus token races on it, as ordinary sampling at that output position would, and the accept test
    /// draws from its `acceptance` stream.
    static func verify(
        _ logits: UnsafeMutablePointer<Float>, _ spec: SpecDecodeRow, random: [CounterRandom]?, scratch: SamplerScratch
    ) -> [SampledToken] {
        let k = spec.draftTokenIDs.count
        let vocab = scratch.vocabSize
        precondition(random.map { $0.count == k + 1 } ?? true, "one random stream per verification position")
        precondition(spec.draftProbs.map { $0.count == k * vocab } ?? true, "draft probabilities are k × vocabSize")
        precondition(spec.draftTokenIDs.allSatisfy { Int($0) < vocab }, "draft token id outside the vocabulary")
        var tokens: [SampledToken] = []
        for j in 0...k {
            let row = UnsafeMutableBufferPointer(start: logits + j * vocab, count: vocab)
            let draft = j < k ? spec.draftTokenIDs[j] : nil
            let (token, accepted) = withDraftProbs(spec.draftProbs, row: j, vocab: vocab) { q in
                position(row, spec.row(atPosition: j), draft: draft, q: q, random: random?[j], scratch: scratch)
            }
            tokens.append(token)
            if !accepted { break }
        }
        return tokens
    }

    /// One position: the token it emits, and whether that token is its draft (accepted).
    private static func position(
        _ logits: UnsafeMutableBufferPointer<Float>, _ row: SamplerRow, draft: TokenID?, q: UnsafeBufferPointer<Float>?,
        random: CounterRandom?, scratch: SamplerScratch
    ) -> (SampledToken, accepted: Bool) {
        let params = row.params
        let raw = UnsafeMutableBufferPointer(start: scratch.raw, count: logits.count)
        if params.logprobs != nil {
            _ = raw.initialize(from: logits)
        }
        SamplingPipeline.applyLogitsProcessors(logits, row, scratch: scratch)
        let token: Int
        var accepted = false
        if let random, !params.isGreedy {
            SamplingPipeline.applyTruncation(logits, params, scratch: scratch)
            if let draft {
                accepted = accepts(logits, draft: draft, q: q, uniform: random.acceptance.uniform(0))
                token = accepted ? Int(draft) : recovered(logits, draft: draft, q: q, random: random, scratch: scratch)
            } else {
                token = ExponentialRace.sample(logits, random: random)
            }
        } else {
            token = ExponentialRace.greedy(logits)
            accepted = draft.map { Int($0) == token } ?? false
        }
        let logprobs = params.logprobs.map { k in
            LogprobsComputation.positionLogprobs(UnsafeBufferPointer(raw), token: token, topK: k)
        }
        return (SampledToken(tokenID: TokenID(token), logprobs: logprobs), accepted)
    }

    /// Whether `draft` is accepted under the truncated `logits` (p = their softmax): `u · q(draft) ≤ p(draft)` with
    /// q one-hot when `q` is nil. Padding and a draft q gives no mass are rejected (vLLM: `q > 0 && p / q ≥ u`).
    static func accepts(
        _ logits: UnsafeMutableBufferPointer<Float>, draft: TokenID, q: UnsafeBufferPointer<Float>?, uniform: Float
    ) -> Bool {
        guard draft >= 0 else { return false }
        let d = Int(draft)
        let row = UnsafeBufferPointer(logits)
        let top = RowScan.maximum(row)
        guard top.isFinite, row[d] > -.infinity else { return false }
        let p = FastExp.exp(row[d] - top) / FastExp.sumOfExp(row, minus: top)
        let qd = q.map { $0[d] } ?? 1
        return qd > 0 && uniform * qd <= p
    }

    /// A token of the normalised residual max(0, p − q) where p = softmax(`logits`), raced on `random`. One-hot q
    /// leaves p without the draft (some other token has mass: a draft with p = 1 is always accepted); padding has no
    /// q, so p itself. A residual with no mass left (p = q up to rounding, where rejection had probability 0) falls
    /// back to p.
    static func recovered(
        _ logits: UnsafeMutableBufferPointer<Float>, draft: TokenID, q: UnsafeBufferPointer<Float>?,
        random: CounterRandom, scratch: SamplerScratch
    ) -> Int {
        guard let q else {
            if draft >= 0 { logits[Int(draft)] = -.infinity }
            return ExponentialRace.sample(logits, random: random)
        }
        let top = RowScan.maximum(UnsafeBufferPointer(logits))
        guard top.isFinite else { return ExponentialRace.sample(logits, random: random) }
        let residual = UnsafeMutableBufferPointer(start: scratch.values, count: logits.count)
        let total = FastExp.exp(UnsafeBufferPointer(logits), minus: top, into: residual)
        var mass: Float = 0
        for i in residual.indices {
            residual[i] = max(0, residual[i] / total - q[i])
            mass += residual[i]
        }
        if mass > 0 {
            for i in logits.indices { logits[i] = residual[i] > 0 ? logf(residual[i]) : -.infinity }
        }
        return ExponentialRace.sample(logits, random: random)
    }

    /// Calls `body` with row `row` of `draftProbs` (`vocab` wide), or nil when there are none.
    private static func withDraftProbs<R>(
        _ draftProbs: [Float]?, row: Int, vocab: Int, _ body: (UnsafeBufferPointer<Float>?) -> R
    ) -> R {
        guard let draftProbs, row * vocab < draftProbs.count else { return body(nil) }
        return draftProbs.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[(row * vocab)..<((row + 1) * vocab)]))
        }
    }
}
