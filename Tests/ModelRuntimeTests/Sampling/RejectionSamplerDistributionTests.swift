import Foundation
import ServingCore
import Testing

@testable import ModelRuntime

/// The rejection sampler's output follows the target distributions, whatever the drafts (Leviathan et al., theorem 1).
///
/// Two drafts are drawn per request from fixed q_0, q_1 over 8 tokens; the target rows are p_0, p_1, p_2. Whatever q
/// is, the first emitted token must be distributed as p_0; given draft 0 was accepted, the second as p_1 (the
/// recovered token of position 1 or its accepted draft); given both were, the bonus as p_2. Draft 0 is accepted with
/// probability Σ_x q_0(x) min(1, p_0(x) / q_0(x)): Σ min(p_0, q_0) when the sampler is given q, Σ q_0 p_0 when it is
/// told one-hot q (an n-gram proposer's drafts are fixed; drawing them at random only mixes fixed-draft cases).
///
/// NOTE (the bounds): a frequency f over M draws has standard deviation σ = √(p(1 − p) / M) ≤ 1 / (2√M). Each token's
/// |f − p| is held to 4.5 · 1/(2√M): a correct sampler exceeds it with probability below 7·10⁻⁶ per token, 4·10⁻⁴ over
/// all the checks here. For the first token M = 60,000: the bound is 0.0092, so a sampler off by 0.02 on a token
/// (a 2% deviation) shows |f − p| ≈ 0.02 ± 0.002 and fails with probability above 1 − 10⁻⁷. The conditional checks
/// have fewer draws (the accepted ones), so a looser bound of the same form; they are there to exercise the
/// recovered and bonus paths. Every number comes from fixed seeds, so a run is also exactly repeatable.
@Suite("Rejection sampler: emitted tokens follow the target distribution")
struct RejectionSamplerDistributionTests {
    static let draws = 60_000
    static let p: [[Double]] = [
        [0.30, 0.20, 0.15, 0.12, 0.10, 0.07, 0.04, 0.02],
        [0.05, 0.10, 0.35, 0.20, 0.10, 0.10, 0.05, 0.05],
        [0.02, 0.08, 0.10, 0.10, 0.15, 0.15, 0.20, 0.20],
    ]
    static let q: [[Double]] = [
        [0.25, 0.25, 0.10, 0.10, 0.10, 0.10, 0.05, 0.05],
        [0.10, 0.10, 0.30, 0.15, 0.15, 0.10, 0.05, 0.05],
    ]

    struct Tally {
        var first = [Int](repeating: 0, count: 8)
        var second = [Int](repeating: 0, count: 8)
        var bonus = [Int](repeating: 0, count: 8)
        var acceptedFirst = 0
        var recovered = 0
    }

    /// Verifies `draws` requests with drafts drawn from q, `batch` requests per sampler call.
    static func run(givingQ: Bool, batch: Int = 1_000) -> Tally {
        let logits = p.map { row in row.map { Float(log($0)) } }.flatMap { $0 }
        var sampler = Sampler(vocabSize: 8, seed: givingQ ? 11 : 12)
        var draftRNG = SplitMix64(seed: givingQ ? 21 : 22)
        var tally = Tally()
        for _ in 0..<(draws / batch) {
            let specs = (0..<batch).map { _ in
                SpecDecodeRow(
                    row: SamplerRow(params: SamplingParams(), promptTokenIDs: [], outputTokenIDs: [], eosTokenID: nil),
                    draftTokenIDs: q.map { TokenID(draw(from: $0, &draftRNG)) },
                    draftProbs: givingQ ? q.flatMap { $0.map(Float.init) } : nil)
            }
            var flat = [Float](repeating: 0, count: 0)
            for _ in 0..<batch { flat += logits }
            let results = flat.withUnsafeMutableBufferPointer { sampler.verify(logits: $0.baseAddress!, rows: specs) }
            for (spec, tokens) in zip(specs, results) {
                tally.first[Int(tokens[0].tokenID)] += 1
                if tokens.count < 3 { tally.recovered += 1 }
                guard tokens.count >= 2 else { continue }
                #expect(tokens[0].tokenID == spec.draftTokenIDs[0])
                tally.acceptedFirst += 1
                tally.second[Int(tokens[1].tokenID)] += 1
                if tokens.count == 3 { tally.bonus[Int(tokens[2].tokenID)] += 1 }
            }
        }
        return tally
    }

    static func draw(from probs: [Double], _ rng: inout SplitMix64) -> Int {
        var u = Double(rng.next() >> 11) / Double(1 << 53)
        for (i, p) in probs.enumerated() {
            if u < p { return i }
            u -= p
        }
        return probs.count - 1
    }

    /// max over tokens of |frequency − p| against 4.5 · 1/(2√M), with the margin in the message.
    static func expectFollows(_ counts: [Int], _ p: [Double], _ what: String) {
        let m = counts.reduce(0, +)
        let bound = 4.5 / (2 * Double(m).squareRoot())
        let worst = zip(counts, p).map { abs(Double($0) / Double(m) - $1) }.max()!
        #expect(worst <= bound, "\(what): max |f − p| = \(worst) over \(m) draws, bound \(bound)")
    }

    static func expectAcceptance(_ tally: Tally, _ rate: Double) {
        let observed = Double(tally.acceptedFirst) / Double(draws)
        let bound = 4.5 * (rate * (1 - rate) / Double(draws)).squareRoot()
        #expect(abs(observed - rate) <= bound, "acceptance \(observed), expected \(rate) ± \(bound)")
    }

    @Test("one-hot q (n-gram drafts): first token ~ p_0, then p_1 after an acceptance, bonus ~ p_2")
    func oneHot() {
        let tally = Self.run(givingQ: false)
        Self.expectFollows(tally.first, Self.p[0], "first token")
        Self.expectFollows(tally.second, Self.p[1], "second token after an accepted draft")
        Self.expectFollows(tally.bonus, Self.p[2], "bonus token")
        Self.expectAcceptance(tally, zip(Self.q[0], Self.p[0]).map { $0 * $1 }.reduce(0, +))
        #expect(tally.recovered > 10_000 && tally.bonus.reduce(0, +) > 1_000)
    }

    @Test("a draft model's q row: first token ~ p_0, then p_1 after an acceptance, bonus ~ p_2")
    func draftProbabilities() {
        let tally = Self.run(givingQ: true)
        Self.expectFollows(tally.first, Self.p[0], "first token")
        Self.expectFollows(tally.second, Self.p[1], "second token after an accepted draft")
        Self.expectFollows(tally.bonus, Self.p[2], "bonus token")
        Self.expectAcceptance(tally, zip(Self.q[0], Self.p[0]).map { min($0, $1) }.reduce(0, +))
        #expect(tally.recovered > 5_000 && tally.bonus.reduce(0, +) > 30_000)
    }
}
