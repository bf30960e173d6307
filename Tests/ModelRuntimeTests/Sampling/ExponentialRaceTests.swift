import Foundation
import ServingCore
import Testing
@testable import ModelRuntime

/// The exponential race samples the softmax distribution, including on the vectorised path
/// (vocabularies of more than eight tokens) and when most tokens are skipped as hopeless.
@Suite("Exponential race sampling")
struct ExponentialRaceTests {
    typealias S = SamplerTestSupport

    func frequencies(_ logits: [Float], draws: Int) -> [Double] {
        var counts = [Int](repeating: 0, count: logits.count)
        var work = logits
        for draw in 0..<draws {
            let token = work.withUnsafeMutableBufferPointer {
                ExponentialRace.sample($0, random: CounterRandom(seed: 17, position: draw))
            }
            counts[token] += 1
        }
        return counts.map { Double($0) / Double(draws) }
    }

    @Test("a 37-token distribution is reproduced within sampling error")
    func vectorisedPathMatchesSoftmax() {
        let logits = (0..<37).map { Float(($0 * 13) % 7) * 0.4 - 1 }
        let weights = logits.map { Foundation.exp(Double($0)) }
        let total = weights.reduce(0, +)
        let freq = frequencies(logits, draws: 40_000)
        for (f, w) in zip(freq, weights) {
            let p = w / total
            #expect(abs(f - p) < 5 * (p * (1 - p) / 40_000).squareRoot() + 1e-3)
        }
    }

    @Test("tokens far below the top are skipped yet keep their tiny share")
    func hopelessTokensStayHopeless() {
        var logits = [Float](repeating: -40, count: 100)
        logits[5] = 0
        logits[60] = -2
        let freq = frequencies(logits, draws: 20_000)
        let p60 = Foundation.exp(-2.0) / (1 + Foundation.exp(-2.0))
        #expect(abs(freq[60] - p60) < 0.01)
        #expect(abs(freq[5] + freq[60] - 1) < 1e-9)
    }

    @Test("masked tokens never win and an all-masked row falls back to token 0")
    func maskedTokensNeverWin() {
        var logits = [Float](repeating: -.infinity, count: 20)
        logits[13] = 1
        logits[19] = 1
        let freq = frequencies(logits, draws: 2_000)
        #expect(freq[13] + freq[19] == 1)
        #expect(abs(freq[13] - 0.5) < 0.05)
        #expect(frequencies([Float](repeating: -.infinity, count: 10), draws: 3)[0] == 1)
    }

    @Test("top_p over a long flat row keeps the fewest tokens reaching the mass")
    func topPOnLongRow() {
        let p = S.params { $0.topP = 0.5 }
        let (_, logits) = S.sampleOne([Float](repeating: 0, count: 40), S.row(p))
        #expect(logits.filter { $0 > -.infinity }.count == 20)
    }

    @Test("top_k over a long row keeps exactly k distinct logits")
    func topKOnLongRow() {
        let p = S.params { $0.topK = 7 }
        let (token, logits) = S.sampleOne((0..<50).map { Float($0) }, S.row(p))
        #expect(logits.indices.filter { logits[$0] > -.infinity } == Array(43..<50))
        #expect(token.tokenID >= 43)
    }
}
