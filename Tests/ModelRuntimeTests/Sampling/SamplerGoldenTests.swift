import Foundation
import ServingCore
import Testing
@testable import ModelRuntime

/// Random rows checked against an independent NumPy statement of steps 5–10 of docs/architecture.md §5.3
/// (Fixtures/make_sampler_golden.py): exact penalised logits, and the set of tokens truncation keeps.
@Suite("Sampler against the NumPy golden cases")
struct SamplerGoldenTests {
    struct Golden: Decodable {
        var vocab: Int
        var cases: [Case]
    }

    struct Case: Decodable {
        var logits: [Float]
        var prompt: [TokenID]
        var output: [TokenID]
        var logitBias: [String: Float]
        var repetitionPenalty: Float
        var frequencyPenalty: Float
        var presencePenalty: Float
        var temperature: Float
        var minP: Float
        var topK: Int
        var topP: Float
        var penalised: [Float]
        /// 1 where the token survives truncation.
        var kept: [Int]

        func params(greedy: Bool) -> SamplingParams {
            var p = SamplingParams()
            p.logitBias = Dictionary(uniqueKeysWithValues: logitBias.map { (TokenID($0.key)!, $0.value) })
            p.repetitionPenalty = repetitionPenalty
            p.frequencyPenalty = frequencyPenalty
            p.presencePenalty = presencePenalty
            p.temperature = greedy ? 0 : temperature
            p.minP = minP
            p.topK = topK
            p.topP = topP
            return p
        }
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sampler-golden.json")
        // swiftlint:disable:next force_try
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    @Test("bias and penalties give exactly the reference logits")
    func penalisedLogitsMatch() {
        for (n, c) in Self.golden.cases.enumerated() {
            let row = SamplerTestSupport.row(c.params(greedy: true), prompt: c.prompt, output: c.output)
            let (_, logits) = SamplerTestSupport.sampleOne(c.logits, row)
            #expect(logits == c.penalised, "case \(n)")
        }
    }

    @Test("temperature, min_p, top-k and top-p keep exactly the reference tokens")
    func keptTokensMatch() {
        for (n, c) in Self.golden.cases.enumerated() {
            let row = SamplerTestSupport.row(c.params(greedy: false), prompt: c.prompt, output: c.output)
            let (token, logits) = SamplerTestSupport.sampleOne(c.logits, row, seed: UInt64(n))
            #expect(logits.map { $0 > -.infinity ? 1 : 0 } == c.kept, "case \(n)")
            #expect(c.kept[Int(token.tokenID)] == 1, "case \(n) sampled a dropped token")
        }
    }
}
