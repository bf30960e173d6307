import Foundation
import ServingCore
import Testing

@testable import ModelRuntime

@Suite("Model runner: grammar bitmasks")
struct ModelRunnerGrammarTests {
    func tinyLlama() throws -> ModelRunner {
        let runner = try ModelRunner(source: .directory(Fixtures.path("tiny-llama")))
        runner.initializeKVCache(numBlocks: 16, blockSize: 4)
        return runner
    }

    /// A mask row allowing exactly `allowed` in a vocabulary of `vocab`.
    func row(allowing allowed: [TokenID], vocab: Int) -> [UInt32] {
        var words = [UInt32](repeating: 0, count: GrammarBitmask.wordsPerRow(vocabSize: vocab))
        for t in allowed { words[Int(t) / 32] |= 1 << UInt32(Int(t) % 32) }
        return words
    }

    @Test("only the allowed tokens are sampled, greedy or random, and logprobs are those of the masked distribution")
    func masksSampling() throws {
        let vocab = try tinyLlama().config.vocabSize
        let free = try tinyLlama()
        let unconstrained = try free.execute(
            SchedulerOutput(
                stepID: 0, scheduledNewReqs: [NewRequestData(reqID: "g", promptTokenIDs: [5, 9, 11], blockIDs: [0])],
                numScheduledTokens: ["g": 3]))
        let argmax = try #require(unconstrained.sampledTokenIDs.first?.first)
        let allowed: [TokenID] = [TokenID((Int(argmax) + 1) % vocab), TokenID((Int(argmax) + 7) % vocab)]
        var greedy = SamplingParams.greedy
        greedy.logprobs = 5
        var random = SamplingParams()
        random.temperature = 2
        random.seed = 3
        let runner = try tinyLlama()
        let out = try runner.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    NewRequestData(reqID: "g", promptTokenIDs: [5, 9, 11], samplingParams: greedy, blockIDs: [0]),
                    NewRequestData(reqID: "r", promptTokenIDs: [5, 9, 11], samplingParams: random, blockIDs: [1]),
                    NewRequestData(reqID: "u", promptTokenIDs: [5, 9, 11], blockIDs: [2]),
                ],
                numScheduledTokens: ["g": 3, "r": 3, "u": 3],
                grammar: GrammarBitmask(
                    requestIDs: ["r", "g"], words: row(allowing: allowed, vocab: vocab) + row(allowing: allowed, vocab: vocab))))
        let tokens = Dictionary(uniqueKeysWithValues: zip(out.reqIDs, out.sampledTokenIDs.map { $0[0] }))
        #expect(allowed.contains(tokens["g"]!) && allowed.contains(tokens["r"]!))
        #expect(tokens["u"] == argmax)
        let lp = try #require(out.logprobs?[out.reqIDs.firstIndex(of: "g")!].first)
        #expect(Set(lp.tokenIDs.prefix(3)).isSuperset(of: allowed))
        // The two allowed tokens share all the probability; every other token is impossible.
        let top = lp.logprobs[1...2].map { Double($0) }
        #expect(abs(top.map { exp($0) }.reduce(0, +) - 1) < 1e-4)
        #expect(lp.logprobs[3...].allSatisfy { $0 == -.infinity })
    }

    @Test("a bitmask with short rows or an unscheduled request is refused with the step")
    func refusesBadBitmasks() throws {
        let runner = try tinyLlama()
        let vocab = runner.config.vocabSize
        let new = NewRequestData(reqID: "a", promptTokenIDs: [5, 9], blockIDs: [0])
        let short = GrammarBitmask(requestIDs: ["a"], words: [UInt32.max])
        #expect(throws: RunnerError.self) {
            try runner.execute(
                SchedulerOutput(stepID: 0, scheduledNewReqs: [new], numScheduledTokens: ["a": 2], grammar: short))
        }
        let stray = GrammarBitmask(requestIDs: ["zz"], words: row(allowing: [1], vocab: vocab))
        #expect(throws: RunnerError.badGrammarBitmask("request 'zz' is not scheduled in this step")) {
            try runner.execute(
                SchedulerOutput(stepID: 0, scheduledNewReqs: [new], numScheduledTokens: ["a": 2], grammar: stray))
        }
        // Still usable: the same step without the bad mask runs.
        let out = try runner.execute(SchedulerOutput(stepID: 0, scheduledNewReqs: [new], numScheduledTokens: ["a": 2]))
        #expect(out.sampledTokenIDs == [[out.sampledTokenIDs[0][0]]])
    }
}
