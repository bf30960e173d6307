import Foundation
import ServingCore
import Testing
@testable import ModelRuntime

/// Raw logprobs of sampled and prompt tokens (docs/architecture.md §5.3, steps 1 and 13).
@Suite("Logprobs of the raw distribution")
struct LogprobsTests {
    typealias S = SamplerTestSupport
    let probs: [Float] = [0.5, 0.25, 0.125, 0.125]

    func ln(_ x: Float) -> Float { Float(log(Double(x))) }

    @Test("logprobs list the sampled token first, then the top-k, with rank 1 for the best")
    func sampledAndTopK() throws {
        let p = S.params {
            $0.temperature = 0
            $0.logprobs = 2
        }
        let lp = try #require(S.sampleOne(S.logits(fromProbs: probs), S.row(p)).token.logprobs)
        #expect(lp.tokenIDs == [0, 0, 1])
        #expect(S.isClose(lp.logprobs, [ln(0.5), ln(0.5), ln(0.25)]))
        #expect(lp.sampledRank == 1)
    }

    @Test("logprobs are taken before penalties, bias and temperature change the logits")
    func rawBeforeProcessing() throws {
        let p = S.params {
            $0.temperature = 0.5
            $0.logprobs = 1
            $0.logitBias = [3: 50]
            $0.repetitionPenalty = 1.5
        }
        let (token, _) = S.sampleOne(S.logits(fromProbs: probs), S.row(p, prompt: [0]))
        let lp = try #require(token.logprobs)
        #expect(lp.tokenIDs == [3, 0])
        #expect(S.isClose(lp.logprobs, [ln(0.125), ln(0.5)]))
    }

    @Test("the rank counts every token whose logprob is at least the sampled one's, ties included")
    func rankCountsTies() throws {
        for (forced, rank) in [(1, 2), (2, 4), (3, 4)] {
            let p = S.params {
                $0.logprobs = 0
                $0.allowedTokenIDs = [TokenID(forced)]
            }
            let lp = try #require(S.sampleOne(S.logits(fromProbs: probs), S.row(p)).token.logprobs)
            #expect(lp.tokenIDs == [TokenID(forced)])
            #expect(lp.sampledRank == rank)
        }
    }

    @Test("top-k ties are listed lowest id first")
    func topKTieOrder() throws {
        let p = S.params {
            $0.temperature = 0
            $0.logprobs = 4
        }
        let lp = try #require(S.sampleOne([1, 3, 1, 3, 0], S.row(p)).token.logprobs)
        #expect(lp.tokenIDs == [1, 1, 3, 0, 2])
    }

    @Test("rows that did not ask for logprobs get none")
    func noLogprobsWhenNotAsked() {
        #expect(S.sampleOne([1, 2, 3], S.row()).token.logprobs == nil)
    }

    @Test("prompt logprobs score each target against its own row, with rank and top-k")
    func promptLogprobs() throws {
        // Row 0 is softmax [0.7, 0.2, 0.1]; row 1 has logits [1, 2, 3].
        let logits: [Float] = S.logits(fromProbs: [0.7, 0.2, 0.1]) + [1, 2, 3]
        let result = logits.withUnsafeBufferPointer {
            Sampler.promptLogprobs(logits: $0.baseAddress!, vocabSize: 3, targets: [1, 0], topK: 2)
        }
        try #require(result.count == 2)
        #expect(result[0].tokenIDs == [1, 0, 1])
        #expect(S.isClose(result[0].logprobs, [ln(0.2), ln(0.7), ln(0.2)]))
        #expect(result[0].sampledRank == 2)
        // log Σ e^x for [1, 2, 3] = 3 + ln(1 + e^−1 + e^−2) ≈ 3.40761.
        let lse: Float = 3.407_606
        #expect(result[1].tokenIDs == [0, 2, 1])
        #expect(S.isClose(result[1].logprobs, [1 - lse, 3 - lse, 2 - lse]))
        #expect(result[1].sampledRank == 3)
    }

    @Test("prompt logprobs with top-k 0 report only the target")
    func promptLogprobsWithoutTopK() {
        let logits: [Float] = [0, 0]
        let result = logits.withUnsafeBufferPointer {
            Sampler.promptLogprobs(logits: $0.baseAddress!, vocabSize: 2, targets: [1], topK: 0)
        }
        #expect(result == [PositionLogprobs(tokenIDs: [1], logprobs: [ln(0.5)], sampledRank: 2)])
    }
}
