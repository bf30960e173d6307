import ServingCore
import Testing

@testable import ModelRuntime

/// The rejection sampler on hand-written logits rows (docs/architecture.md §5.5).
@Suite("Rejection sampler")
struct RejectionSamplerTests {
    typealias S = SamplerTestSupport

    /// Rows of `vocab` logits, one-hot-ish: `argmaxes[j]` scores 5, every other token 0.
    func peaked(_ argmaxes: [Int], vocab: Int = 8) -> [[Float]] {
        argmaxes.map { top in (0..<vocab).map { $0 == top ? 5 : 0 } }
    }

    func verify(
        _ rows: [[Float]], _ specs: [SpecDecodeRow], sampler: inout Sampler
    ) -> [[SampledToken]] {
        var flat = rows.flatMap { $0 }
        return flat.withUnsafeMutableBufferPointer { sampler.verify(logits: $0.baseAddress!, rows: specs) }
    }

    func verify(_ rows: [[Float]], _ spec: SpecDecodeRow, seed: UInt64 = 0) -> [TokenID] {
        var sampler = Sampler(vocabSize: rows[0].count, seed: seed)
        return verify(rows, [spec], sampler: &sampler)[0].map(\.tokenID)
    }

    @Test("greedy: a draft is accepted while it is the argmax; a mismatch emits the argmax, all matches add the bonus")
    func greedy() {
        let rows = peaked([3, 5, 1])
        let row = S.row(.greedy)
        #expect(verify(rows, SpecDecodeRow(row: row, draftTokenIDs: [3, 5])) == [3, 5, 1])
        #expect(verify(rows, SpecDecodeRow(row: row, draftTokenIDs: [3, 4])) == [3, 5])
        #expect(verify(rows, SpecDecodeRow(row: row, draftTokenIDs: [2, 5])) == [3])
    }

    @Test("a padding draft (−1) is always rejected, greedy or random, and never read as a token")
    func padding() {
        let rows = peaked([3, 5, 1])
        #expect(verify(rows, SpecDecodeRow(row: S.row(.greedy), draftTokenIDs: [3, -1])) == [3, 5])
        #expect(verify(rows, SpecDecodeRow(row: S.row(.greedy), draftTokenIDs: [-1, -1])) == [3])
        // A random row with all mass on the argmax: the recovered token of padding is drawn from p itself.
        let certain = (0..<3).map { j in (0..<8).map { $0 == [3, 5, 1][j] ? Float(0) : -.infinity } }
        for seed in 0..<20 as Range<UInt64> {
            let row = S.row(S.params { $0.seed = seed })
            #expect(verify(certain, SpecDecodeRow(row: row, draftTokenIDs: [3, -1])) == [3, 5])
        }
    }

    @Test("penalties, bad words and min_tokens at draft j count drafts 0..<j as outputs")
    func positionDependentState() {
        // Position 1 prefers 4 over 6 by 1; once draft 0 (= 4) counts, a frequency penalty of 2 turns it to 6.
        var rows = peaked([4, 4, 0])
        rows[1][6] = 4
        let frequency = S.row(S.params { $0.temperature = 0; $0.frequencyPenalty = 2 })
        #expect(verify(rows, SpecDecodeRow(row: frequency, draftTokenIDs: [4, 4])) == [4, 6])
        // The same with repetition: 5 / 2 = 2.5 < 4.
        let repetition = S.row(S.params { $0.temperature = 0; $0.repetitionPenalty = 2 })
        #expect(verify(rows, SpecDecodeRow(row: repetition, draftTokenIDs: [4, 4])) == [4, 6])
        // Bad word [4, 4]: after draft 4, token 4 is banned at position 1.
        let badWords = S.row(S.params { $0.temperature = 0; $0.badWords = [[4, 4]] })
        #expect(verify(rows, SpecDecodeRow(row: badWords, draftTokenIDs: [4, 4])) == [4, 6])
        // Without a penalty the drafts stand.
        #expect(verify(rows, SpecDecodeRow(row: S.row(.greedy), draftTokenIDs: [4, 4])) == [4, 4, 0])
        // min_tokens 2 with EOS 7 on top everywhere: masked at positions 0 and 1 (0 and 1 outputs), free at the bonus.
        var eos = peaked([4, 6, 0])
        for j in eos.indices { eos[j][7] = 9 }
        let minTokens = S.row(S.params { $0.temperature = 0; $0.minTokens = 2 }, eos: 7)
        #expect(verify(eos, SpecDecodeRow(row: minTokens, draftTokenIDs: [4, 6])) == [4, 6, 7])
        // An output already there counts too: with one output, position 1 has two and EOS is free.
        let oneOutput = S.row(S.params { $0.temperature = 0; $0.minTokens = 2 }, output: [1], eos: 7)
        #expect(verify(eos, SpecDecodeRow(row: oneOutput, draftTokenIDs: [4, 6])) == [4, 7])
    }

    @Test("logprobs come one per returned token, from the raw logits of its position")
    func logprobs() {
        // Distinct values in each row: token t scores ((7t + 3j) mod 8) / 2 at position j.
        let rows: [[Float]] = (0..<3).map { (j: Int) -> [Float] in
            (0..<8).map { (t: Int) -> Float in Float((t * 7 + j * 3) % 8) * 0.5 }
        }
        let params = S.params { $0.temperature = 0; $0.logprobs = 2 }
        let argmaxes = rows.map { $0.withUnsafeBufferPointer { RowScan.argmax($0) } }
        for drafts in [[argmaxes[0], argmaxes[1]], [argmaxes[0], (argmaxes[1] + 1) % 8]] {
            var sampler = Sampler(vocabSize: 8)
            let spec = SpecDecodeRow(row: S.row(params), draftTokenIDs: drafts.map { TokenID($0) })
            let tokens = verify(rows, [spec], sampler: &sampler)[0]
            #expect(tokens.count == (drafts[1] == argmaxes[1] ? 3 : 2))
            for (j, token) in tokens.enumerated() {
                let expected = rows[j].withUnsafeBufferPointer {
                    LogprobsComputation.positionLogprobs($0, token: Int(token.tokenID), topK: 2)
                }
                #expect(token.logprobs == expected)
            }
        }
    }

    @Test("a seeded request verifies to the same tokens run to run and beside any other rows")
    func seededReproducible() {
        let rows: [[Float]] = (0..<4).map { (j: Int) -> [Float] in
            (0..<16).map { (t: Int) -> Float in Float((t * 5 + j) % 16) * 0.2 }
        }
        for seed in 0..<30 as Range<UInt64> {
            let spec = SpecDecodeRow(row: S.row(S.params { $0.seed = seed }, output: [1, 2]), draftTokenIDs: [15, 3, 9])
            var first = Sampler(vocabSize: 16, seed: 1)
            var second = Sampler(vocabSize: 16, seed: 2)
            let alone = verify(rows, [spec], sampler: &first)[0]
            let partners = [
                SpecDecodeRow(row: S.row(), draftTokenIDs: [1]),
                SpecDecodeRow(row: S.row(S.params { $0.seed = seed + 1 }), draftTokenIDs: [2, 2]),
            ]
            let crowded = verify(
                Array(rows.prefix(2)) + Array(rows.prefix(3)) + rows, partners + [spec], sampler: &second)[2]
            #expect(alone == crowded)
            #expect(alone == verify(rows, [spec], sampler: &first)[0])
        }
    }

    @Test("verifying on several threads gives the tokens of one thread")
    func threads() {
        let vocab = 4_096
        var rng = SplitMix64(seed: 5)
        let rows: [[Float]] = (0..<120).map { _ in (0..<vocab).map { _ in Float(rng.next() % 1_000) / 100 } }
        let specs = (0..<40).map { i in
            SpecDecodeRow(
                row: S.row(S.params { $0.temperature = i % 4 == 0 ? 0 : 1.5; $0.seed = i % 2 == 0 ? UInt64(i) : nil }),
                draftTokenIDs: [TokenID(i * 7 % vocab), TokenID(i * 13 % vocab)])
        }
        var one = Sampler(vocabSize: vocab, seed: 3)
        one.maxThreads = 1
        var many = Sampler(vocabSize: vocab, seed: 3)
        many.maxThreads = 4
        #expect(many.threadCount(rows: specs.count, logitsRows: rows.count) > 1)
        #expect(verify(rows, specs, sampler: &one) == verify(rows, specs, sampler: &many))
    }

    @Test("the accept test and the recovered draw use different random numbers")
    func distinctStreams() {
        let stream = CounterRandom(seed: 9, position: 4)
        #expect(stream.acceptance != stream)
        let race = (0..<64).map { stream.bits($0) }
        #expect(!race.contains(stream.acceptance.bits(0)))
    }
}
