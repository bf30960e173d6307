import ServingCore
import Testing
@testable import ModelRuntime

/// Steps 3–6 of the sampler order (docs/architecture.md §5.3), checked on greedy rows, whose logits the sampler
/// leaves exactly as the processors made them.
@Suite("Logits processors before the greedy argmax")
struct LogitsProcessorsTests {
    typealias S = SamplerTestSupport
    let greedy = S.params { $0.temperature = 0 }

    @Test("allowed_token_ids masks every other token")
    func allowedTokenIDs() {
        var p = greedy
        p.allowedTokenIDs = [1, 3]
        let (token, logits) = S.sampleOne([5, 1, 2, 3], S.row(p))
        #expect(token.tokenID == 3)
        #expect(logits == [-.infinity, 1, -.infinity, 3])
    }

    @Test("a one-token bad word is always banned")
    func singleTokenBadWord() {
        var p = greedy
        p.badWords = [[0]]
        let (token, logits) = S.sampleOne([5, 1, 2], S.row(p))
        #expect(token.tokenID == 2)
        #expect(logits == [-.infinity, 1, 2])
    }

    @Test("a bad word's last token is banned only after its preceding tokens were generated")
    func multiTokenBadWord() {
        var p = greedy
        p.badWords = [[3, 4, 0]]
        #expect(S.sampleOne([5, 1, 2, 0, 0], S.row(p, output: [1, 3, 4])).token.tokenID == 2)
        #expect(S.sampleOne([5, 1, 2, 0, 0], S.row(p, output: [3, 4, 1])).token.tokenID == 0)
        #expect(S.sampleOne([5, 1, 2, 0, 0], S.row(p, output: [4])).token.tokenID == 0)
        // The prompt does not count: only output tokens are matched.
        #expect(S.sampleOne([5, 1, 2, 0, 0], S.row(p, prompt: [3, 4], output: [])).token.tokenID == 0)
    }

    @Test("min_tokens masks EOS and every stop token id until enough tokens are generated")
    func minTokensMasksStops() {
        var p = greedy
        p.minTokens = 2
        p.stopTokenIDs = [1]
        let logits: [Float] = [9, 8, 1, 0]
        let early = S.sampleOne(logits, S.row(p, output: [3], eos: 0))
        #expect(early.token.tokenID == 2)
        #expect(early.logits == [-.infinity, -.infinity, 1, 0])
        let reached = S.sampleOne(logits, S.row(p, output: [3, 3], eos: 0))
        #expect(reached.token.tokenID == 0)
        #expect(reached.logits == logits)
    }

    @Test("min_tokens leaves EOS alone when the request ignores EOS, but still masks stop ids")
    func minTokensWithIgnoreEOS() {
        var p = greedy
        p.minTokens = 5
        p.stopTokenIDs = [1]
        p.ignoreEOS = true
        let result = S.sampleOne([9, 8, 1], S.row(p, eos: 0))
        #expect(result.token.tokenID == 0)
        #expect(result.logits == [9, -.infinity, 1])
    }

    @Test("logit_bias adds to the named tokens")
    func logitBias() {
        var p = greedy
        p.logitBias = [2: 4.5, 0: -1]
        let (token, logits) = S.sampleOne([3, 1, 0], S.row(p))
        #expect(logits == [2, 1, 4.5])
        #expect(token.tokenID == 2)
    }

    @Test("repetition penalty divides positive and multiplies negative logits of prompt and output tokens once")
    func repetitionPenalty() {
        var p = greedy
        p.repetitionPenalty = 2
        let (_, logits) = S.sampleOne([2, -2, 1, 0.5, 0], S.row(p, prompt: [0, 0, 4], output: [1, 0, 1]))
        #expect(logits == [1, -4, 1, 0.5, 0])
    }

    @Test("frequency penalty subtracts penalty × count of the token in the output only")
    func frequencyPenalty() {
        var p = greedy
        p.frequencyPenalty = 0.5
        let (_, logits) = S.sampleOne([1, 1, 1, 1], S.row(p, prompt: [3, 3], output: [1, 1, 2, 1]))
        #expect(logits == [1, -0.5, 0.5, 1])
    }

    @Test("presence penalty subtracts the penalty once for each token present in the output")
    func presencePenalty() {
        var p = greedy
        p.presencePenalty = 0.75
        let (_, logits) = S.sampleOne([1, 1, 1, 1], S.row(p, prompt: [3], output: [1, 1, 2]))
        #expect(logits == [1, 0.25, 0.25, 1])
    }

    @Test("negative frequency and presence penalties encourage repeats")
    func negativePenalties() {
        var p = greedy
        p.frequencyPenalty = -1
        p.presencePenalty = -0.5
        let (token, logits) = S.sampleOne([2, 1, 0], S.row(p, output: [2, 2]))
        #expect(logits == [2, 1, 2.5])
        #expect(token.tokenID == 2)
    }

    @Test("penalties apply in order: repetition, then frequency, then presence")
    func penaltyOrder() {
        var p = greedy
        p.repetitionPenalty = 2
        p.frequencyPenalty = 1
        p.presencePenalty = 0.5
        // Token 0: 4 / 2 − 1 × 2 − 0.5 = −0.5; token 1 (prompt only): −1 × 2 = −2.
        let (_, logits) = S.sampleOne([4, -1, 3], S.row(p, prompt: [1], output: [0, 0]))
        #expect(logits == [-0.5, -2, 3])
    }

    @Test("processors run in reference order: allowed ids before bias, masks survive penalties")
    func processorOrder() {
        var p = greedy
        p.allowedTokenIDs = [0, 1]
        p.logitBias = [2: 100]
        p.presencePenalty = -2
        p.minTokens = 1
        p.stopTokenIDs = [1]
        // Token 2 is outside the allowed set: the bias cannot resurrect it; token 1 stays masked.
        let (token, logits) = S.sampleOne([0, 5, 1], S.row(p, output: [], eos: nil))
        #expect(logits == [0, -.infinity, -.infinity])
        #expect(token.tokenID == 0)
    }

    @Test("the scratch flags are cleared, so a later row is not penalised for an earlier row's tokens")
    func scratchIsClearedBetweenRows() {
        var p = greedy
        p.repetitionPenalty = 2
        p.frequencyPenalty = 1
        var sampler = Sampler(vocabSize: 3)
        var logits: [Float] = [2, 2, 2, 2, 2, 2]
        let rows = [S.row(p, prompt: [0], output: [1]), S.row(p)]
        _ = logits.withUnsafeMutableBufferPointer { sampler.sample(logits: $0.baseAddress!, rows: rows) }
        #expect(logits == [1, 0, 2, 2, 2, 2])
    }
}
