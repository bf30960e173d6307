import ServingCore
import Testing
@testable import ModelRuntime

/// Seeded requests draw from a stream keyed by (seed, output position) (docs/architecture.md §5.4).
@Suite("Seeded sampling is reproducible")
struct SeededSamplingTests {
    typealias S = SamplerTestSupport
    let flat: [Float] = [Float](repeating: 0, count: 64)

    func seeded(_ seed: UInt64) -> SamplingParams {
        S.params { $0.seed = seed }
    }

    @Test("a seeded row samples the same token alone and surrounded by other rows")
    func independentOfBatchComposition() {
        for seed in 0..<20 as Range<UInt64> {
            let row = S.row(seeded(seed), prompt: [1, 2], output: [3])
            var alone = Sampler(vocabSize: 64, seed: 1)
            var crowded = Sampler(vocabSize: 64, seed: 99)
            let single = S.sampleBatch([flat], [row], sampler: &alone)[0]
            let others = [S.row(), S.row(seeded(seed + 1_000)), S.row(S.params { $0.temperature = 0 })]
            let batch = S.sampleBatch([flat, flat, flat, flat, flat], [others[0], others[1], row, others[2], others[0]],
                                      sampler: &crowded)
            #expect(batch[2] == single)
        }
    }

    @Test("the same output position gives the same token, however the steps were chunked or preempted")
    func samePositionSameToken() {
        let row = S.row(seeded(42), prompt: [5, 6, 7], output: [1, 2, 3, 4])
        var first = Sampler(vocabSize: 64)
        var second = Sampler(vocabSize: 64, seed: 5)
        let a = S.sampleBatch([flat], [row], sampler: &first)[0]
        // Other steps in between advance nothing a seeded row depends on.
        _ = S.sampleBatch([flat, flat], [S.row(), S.row(seeded(42), output: [1])], sampler: &second)
        let b = S.sampleBatch([flat], [row], sampler: &second)[0]
        #expect(a == b)
    }

    @Test("a seeded stream moves on with the output position and differs between seeds")
    func streamsVaryByPositionAndSeed() {
        var sampler = Sampler(vocabSize: 64)
        let byPosition = (0..<16).map { n in
            S.sampleBatch([flat], [S.row(seeded(7), output: [TokenID](repeating: 0, count: n))], sampler: &sampler)[0]
        }
        let bySeed = (0..<16 as Range<UInt64>).map { seed in
            S.sampleBatch([flat], [S.row(seeded(seed), output: [])], sampler: &sampler)[0]
        }
        #expect(Set(byPosition).count > 8)
        #expect(Set(bySeed).count > 8)
    }

    @Test("seeded draws still follow the distribution across positions")
    func seededDrawsFollowDistribution() {
        var sampler = Sampler(vocabSize: 3)
        let logits = S.logits(fromProbs: [0.7, 0.2, 0.1])
        var counts = [0, 0, 0]
        var output: [TokenID] = []
        for _ in 0..<5_000 {
            let token = S.sampleBatch([logits], [S.row(seeded(3), output: output)], sampler: &sampler)[0]
            counts[Int(token)] += 1
            output.append(token)
        }
        #expect(abs(Double(counts[0]) / 5_000 - 0.7) < 0.03)
        #expect(abs(Double(counts[2]) / 5_000 - 0.1) < 0.02)
    }

    @Test("unseeded rows replay with the same sampler seed and differ from row to row")
    func unseededRowsUseTheSamplersGenerator() {
        var a = Sampler(vocabSize: 64, seed: 11)
        var b = Sampler(vocabSize: 64, seed: 11)
        let rows = [SamplerRow](repeating: S.row(), count: 16)
        let batch = [[Float]](repeating: flat, count: 16)
        let fromA = S.sampleBatch(batch, rows, sampler: &a)
        #expect(fromA == S.sampleBatch(batch, rows, sampler: &b))
        #expect(Set(fromA).count > 8)
        #expect(S.sampleBatch(batch, rows, sampler: &a) != fromA)
    }

    @Test("an empty batch samples nothing")
    func emptyBatch() {
        var sampler = Sampler(vocabSize: 4)
        var logits: [Float] = [0, 0, 0, 0]
        #expect(logits.withUnsafeMutableBufferPointer { sampler.sample(logits: $0.baseAddress!, rows: []) }.isEmpty)
    }

    @Test("a copied sampler does not share work buffers with the original")
    func copiesAreIndependent() {
        var original = Sampler(vocabSize: 4, seed: 3)
        var copy = original
        let logits: [Float] = [0, 1, 2, 3]
        let row = S.row(S.params { $0.logprobs = 1 })
        #expect(S.sampleOne(logits, row, sampler: &original).token == S.sampleOne(logits, row, sampler: &copy).token)
    }

    @Test("spreading rows over threads changes no token and no logprob")
    func threadsDoNotChangeResults() {
        let vocab = 32_768
        var pivots = PivotSequence()
        let logits = (0..<(8 * vocab)).map { _ in Float(pivots.next(in: 0..<1_000)) / 100 }
        let rows = (0..<8).map { i in
            S.row(S.params {
                $0.seed = i % 2 == 0 ? UInt64(i) : nil
                $0.temperature = i == 3 ? 0 : 0.8
                $0.topP = i == 5 ? 0.9 : 1
                $0.logprobs = i % 3 == 0 ? 3 : nil
                $0.repetitionPenalty = i == 6 ? 1.3 : 1
            }, prompt: [TokenID(i), 7], output: [TokenID(i * 100)])
        }
        func run(threads: Int) -> [SampledToken] {
            var sampler = Sampler(vocabSize: vocab, seed: 21)
            sampler.maxThreads = threads
            var work = logits
            return work.withUnsafeMutableBufferPointer { sampler.sample(logits: $0.baseAddress!, rows: rows) }
        }
        #expect(run(threads: 1) == run(threads: 4))
    }
}
