import ServingCore
import Testing
@testable import ModelRuntime

/// Temperature, min_p, top-k and top-p (docs/architecture.md §5.3, steps 8–10) on hand-written distributions.
@Suite("Temperature and truncation of random rows")
struct TruncationTests {
    typealias S = SamplerTestSupport

    @Test("temperature 0 is greedy: the argmax wins even against a near-tie")
    func temperatureZeroIsArgmax() {
        let p = S.params { $0.temperature = 0 }
        for seed in 0..<50 as Range<UInt64> {
            #expect(S.sampleOne([1, 1.001, 0.5], S.row(p), seed: seed).token.tokenID == 1)
        }
    }

    @Test("greedy ties go to the lowest token id")
    func greedyTieBreak() {
        let p = S.params { $0.temperature = 0 }
        #expect(S.sampleOne([0, 3, 3, 1], S.row(p)).token.tokenID == 1)
    }

    @Test("temperature 1 reproduces the distribution over many draws")
    func temperatureOneMatchesProbs() {
        let freq = S.frequencies(S.logits(fromProbs: [0.5, 0.3, 0.2]), SamplingParams(), draws: 20_000)
        #expect(abs(freq[0] - 0.5) < 0.015)
        #expect(abs(freq[1] - 0.3) < 0.015)
        #expect(abs(freq[2] - 0.2) < 0.015)
    }

    @Test("a low temperature sharpens and a high temperature flattens the distribution")
    func temperatureScaling() {
        let logits = S.logits(fromProbs: [0.6, 0.4])
        let cold = S.frequencies(logits, S.params { $0.temperature = 0.5 }, draws: 10_000)[0]
        let warm = S.frequencies(logits, SamplingParams(), draws: 10_000)[0]
        let hot = S.frequencies(logits, S.params { $0.temperature = 2 }, draws: 10_000)[0]
        // p0 ∝ 0.6^(1/t): 0.692 at t = 0.5, 0.6 at t = 1, 0.551 at t = 2.
        #expect(cold > warm && warm > hot)
        #expect(abs(cold - 0.692) < 0.02)
        #expect(abs(hot - 0.551) < 0.02)
    }

    @Test("temperatures below 0.01 act as 0.01")
    func tinyTemperatureIsClamped() {
        let p = S.params { $0.temperature = 0.0001 }
        let (_, logits) = S.sampleOne([1, 0.5], S.row(p))
        #expect(logits == [100, 50])
    }

    @Test("top_p 0.3 over probs [0.9, 0, 0, 0.1] keeps only the first token")
    func topPKeepsOnlyTheHead() {
        let p = S.params { $0.topP = 0.3 }
        let probs = S.logits(fromProbs: [0.9, 0, 0, 0.1])
        #expect(S.sampleOne(probs, S.row(p)).logits[3] == -.infinity)
        #expect(S.frequencies(probs, p, draws: 500) == [1, 0, 0, 0])
    }

    @Test("top_p keeps every token whose higher-ranked mass is still below p")
    func topPBoundary() {
        let p = S.params { $0.topP = 0.9 }
        // Mass above token 2 is 0.8 < 0.9 (kept); above token 3 it is 0.95 (dropped).
        let (_, logits) = S.sampleOne(S.logits(fromProbs: [0.15, 0.3, 0.5, 0.05]), S.row(p))
        #expect(logits.map { $0 > -.infinity } == [true, true, true, false])
    }

    @Test("top_p always keeps at least the most probable token")
    func topPKeepsOne() {
        let p = S.params { $0.topP = 0.01 }
        let (token, logits) = S.sampleOne([0, 0, 0.1, 0], S.row(p))
        #expect(token.tokenID == 2)
        #expect(logits.filter { $0 > -.infinity }.count == 1)
    }

    @Test("an unvalidated top_p of 0 still keeps the most probable token")
    func topPZeroKeepsOne() {
        let p = S.params { $0.topP = 0 }
        let (token, logits) = S.sampleOne((0..<20).map { Float($0) }, S.row(p))
        #expect(token.tokenID == 19)
        #expect(logits.filter { $0 > -.infinity }.count == 1)
    }

    @Test("top_k 1 always samples the argmax")
    func topKOne() {
        let p = S.params { $0.topK = 1 }
        #expect(S.frequencies(S.logits(fromProbs: [0.3, 0.4, 0.3]), p, draws: 500) == [0, 1, 0])
    }

    @Test("top_k 2 keeps the two largest logits and the draw splits between them")
    func topKTwo() {
        let p = S.params { $0.topK = 2 }
        let logits = S.logits(fromProbs: [0.1, 0.45, 0.3, 0.15])
        #expect(S.sampleOne(logits, S.row(p)).logits.map { $0 > -.infinity } == [false, true, true, false])
        let freq = S.frequencies(logits, p, draws: 10_000)
        #expect(freq[0] == 0 && freq[3] == 0)
        #expect(abs(freq[1] - 0.6) < 0.02)
    }

    @Test("top_k keeps every token tied with the k-th largest, as vLLM does")
    func topKTies() {
        let p = S.params { $0.topK = 2 }
        let (_, logits) = S.sampleOne([3, 1, 2, 2, 0], S.row(p))
        #expect(logits.map { $0 > -.infinity } == [true, false, true, true, false])
    }

    @Test("top_k is applied before top_p, and top_p renormalises over what top_k kept")
    func topKThenTopP() {
        let p = S.params {
            $0.topK = 2
            $0.topP = 0.7
        }
        // After top-k: [0.4, 0.3] renormalised to [0.571, 0.429]; mass above the second is 0.571 < 0.7.
        let (_, logits) = S.sampleOne(S.logits(fromProbs: [0.4, 0.3, 0.2, 0.1]), S.row(p))
        #expect(logits.map { $0 > -.infinity } == [true, true, false, false])
    }

    @Test("min_p drops tokens less likely than min_p × the top probability")
    func minP() {
        let p = S.params { $0.minP = 0.2 }
        // Threshold 0.2 × 0.5 = 0.1: only the 0.09 token goes.
        let logits = S.logits(fromProbs: [0.5, 0.2, 0.09, 0.21])
        #expect(S.sampleOne(logits, S.row(p)).logits.map { $0 > -.infinity } == [true, true, false, true])
        #expect(S.frequencies(logits, p, draws: 2_000)[2] == 0)
    }

    @Test("min_p applies after temperature")
    func minPAfterTemperature() {
        let p = S.params {
            $0.minP = 0.2
            $0.temperature = 0.5
        }
        // At t = 0.5 probability ratios square: (0.2/0.46)² = 0.19 < 0.2 goes, (0.25/0.46)² = 0.30 stays.
        let logits = S.logits(fromProbs: [0.46, 0.2, 0.09, 0.25])
        #expect(S.sampleOne(logits, S.row(S.params { $0.minP = 0.2 })).logits.map { $0 > -.infinity } == [true, true, false, true])
        #expect(S.sampleOne(logits, S.row(p)).logits.map { $0 > -.infinity } == [true, false, false, true])
    }

    @Test("a greedy row ignores top_k, top_p and min_p")
    func greedyIgnoresTruncation() {
        let p = S.params {
            $0.temperature = 0
            $0.topK = 1
            $0.topP = 0.1
            $0.minP = 0.9
        }
        let (token, logits) = S.sampleOne([1, 2, 3], S.row(p))
        #expect(token.tokenID == 2)
        #expect(logits == [1, 2, 3])
    }
}
