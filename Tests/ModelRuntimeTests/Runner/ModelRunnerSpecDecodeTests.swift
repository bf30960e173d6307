import ServingCore
import Testing

@testable import ModelRuntime

/// Speculative decoding in the runner (docs/architecture.md §5.5), on the embedded default model (dummy f32 weights,
/// 512 tokens): drafts are verified in one forward pass and greedy output does not change.
@Suite("Model runner: speculative decoding")
struct ModelRunnerSpecDecodeTests {
    static let prompts: [[TokenID]] = [
        [1, 72, 101, 108, 108, 111], [1, 300, 301, 302], [1, 65, 66, 67, 68, 69, 70, 71, 72],
    ]
    static let vocab = ModelConfig.embeddedDefault.vocabSize

    /// Greedy, greedy with penalties (position-dependent: a draft must count as an output), greedy with logprobs.
    static let params: [SamplingParams] = [
        .greedy,
        {
            var p = SamplingParams.greedy
            p.frequencyPenalty = 1.5
            p.repetitionPenalty = 1.3
            return p
        }(),
        {
            var p = SamplingParams.greedy
            p.logprobs = 3
            p.promptLogprobs = 2
            return p
        }(),
    ]

    static func runner() throws -> ModelRunner { try ModelRunner(source: .embeddedDefault) }

    /// The outputs without drafts.
    static func baseline(maxTokens: Int = 24) throws -> [SpecDecodeDriver.Request] {
        try SpecDecodeDriver(runner: runner()).run(prompts, params: params, maxTokens: maxTokens)
    }

    @Test(
        "greedy outputs with drafts equal those without: drafts all right, all wrong, mixed, padded, and 8 at once",
        arguments: ["right", "wrong", "mixed", "padded", "eight"])
    func greedyMatchesPlainDecoding(proposer: String) throws {
        let reference = try Self.baseline(maxTokens: 40)
        let expected = reference.map(\.output)
        let driver = SpecDecodeDriver(runner: try Self.runner())
        let out = try driver.run(Self.prompts, params: Self.params, maxTokens: 24) { i, tokens in
            let m = tokens.count - Self.prompts[i].count
            let next = expected[i][m...]
            switch proposer {
            case "right": return Array(next.prefix(4))
            case "wrong": return next.prefix(3).map { ($0 + 1) % TokenID(Self.vocab) }
            case "mixed": return Array(next.prefix(m % 4)) + next.dropFirst(m % 4).prefix(1).map { ($0 + 7) % 512 }
            case "padded": return Array(next.prefix(1)) + [-1, -1]
            default: return Array(next.prefix(8))
            }
        }
        for (r, base) in zip(out, reference) {
            #expect(r.output == Array(base.output.prefix(24)), "\(proposer): \(r.id)")
            #expect(r.logprobs == Array(base.logprobs.prefix(24)), "\(proposer): \(r.id)")
        }
        #expect(driver.proposed > 0)
        switch proposer {
        case "right", "eight": #expect(driver.accepted == driver.proposed)
        case "wrong": #expect(driver.accepted == 0)
        case "padded": #expect(driver.accepted * 3 == driver.proposed)
        default: #expect(driver.accepted > 0 && driver.accepted < driver.proposed)
        }
        // Fewer steps than tokens when drafts are accepted.
        if proposer == "right" { #expect(driver.steps < 24 / 2) }
    }

    @Test("a verification row's logits equal, bit for bit, those of decoding the same tokens one step at a time")
    func verificationLogitsAreDecodeLogits() throws {
        for k in [1, 3, 7, 8, 12] {
            let (decoded, verified, accepted) = try Self.logitsBothWays(Self.runner(), prompt: Self.prompts[0], k: k)
            #expect(accepted && verified.count == decoded.count)
            let diff = zip(decoded, verified).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
            #expect(diff == 0, "k = \(k): max |decode − verify| = \(diff)")
        }
    }

    /// The logits of output positions 1...k+1 of a greedy request, decoded one token per step, and verified in one
    /// step with the right k drafts after the first token (and whether the verification returned the decoded tokens).
    static func logitsBothWays(
        _ runner: ModelRunner, prompt: [TokenID], k: Int
    ) throws -> (decoded: [[Float]], verified: [[Float]], same: Bool) {
        let vocab = runner.config.vocabSize
        runner.captureLogits = true
        let blocks = Array(0..<((prompt.count + k + 2 + 3) / 4))
        runner.initializeKVCache(numBlocks: blocks.count + 1, blockSize: 4)
        func prefill() throws -> TokenID {
            let out = try runner.execute(
                SchedulerOutput(
                    stepID: 0,
                    scheduledNewReqs: [
                        NewRequestData(reqID: "a", promptTokenIDs: prompt, samplingParams: .greedy, blockIDs: blocks)
                    ],
                    numScheduledTokens: ["a": prompt.count]))
            return out.sampledTokenIDs[0][0]
        }
        var tokens = [try prefill()]
        var decoded: [[Float]] = []
        for m in 1...(k + 1) {
            let out = try runner.execute(
                SchedulerOutput(
                    stepID: m,
                    scheduledCachedReqs: [
                        CachedRequestData(reqID: "a", numComputedTokens: prompt.count + m - 1, numOutputTokens: m)
                    ],
                    numScheduledTokens: ["a": 1]))
            decoded.append(runner.capturedLogits["a"]!)
            tokens.append(out.sampledTokenIDs[0][0])
        }
        runner.reset()
        _ = try prefill()
        let out = try runner.execute(
            SchedulerOutput(
                stepID: 1,
                scheduledCachedReqs: [
                    CachedRequestData(reqID: "a", numComputedTokens: prompt.count, numOutputTokens: 1)
                ],
                numScheduledTokens: ["a": 1 + k], scheduledSpecDecodeTokens: ["a": Array(tokens[1...k])]))
        let rows = runner.capturedLogits["a"]!
        return (
            decoded, (0...k).map { Array(rows[($0 * vocab)..<(($0 + 1) * vocab)]) },
            out.sampledTokenIDs[0] == Array(tokens[1...(k + 1)])
        )
    }

    @Test("drafts on a request's first step verify after its prompt, as a prefill then decodes would")
    func draftsOnTheFirstStep() throws {
        let reference = try Self.baseline(maxTokens: 5)
        // Request 2 asks for logprobs and prompt logprobs; request 1 has penalties, and plain greedy would repeat its
        // first token (109): position 1 must count draft 0 as an output to keep to the reference.
        for i in [2, 1] {
            let prompt = Self.prompts[i]
            func prefill(drafts: [TokenID], logitsChunkRows: Int) throws -> (ModelRunner, ModelRunnerOutput) {
                let runner = try Self.runner()
                runner.model.logitsChunkRows = logitsChunkRows
                runner.initializeKVCache(numBlocks: 8, blockSize: 4)
                let new = NewRequestData(
                    reqID: "a", promptTokenIDs: prompt, samplingParams: Self.params[i], blockIDs: [0, 1, 2, 3])
                let out = try runner.execute(
                    SchedulerOutput(
                        stepID: 0, scheduledNewReqs: [new], numScheduledTokens: ["a": prompt.count + drafts.count],
                        scheduledSpecDecodeTokens: drafts.isEmpty ? [:] : ["a": drafts]))
                return (runner, out)
            }
            // Three logits rows at a time: the four verification rows stay together, the prompt rows follow.
            let (runner, out) = try prefill(drafts: Array(reference[i].output.prefix(3)), logitsChunkRows: 3)
            #expect(out.sampledTokenIDs == [Array(reference[i].output.prefix(4))])
            #expect((out.logprobs?[0] ?? []) == Array(reference[i].logprobs.prefix(4)))
            #expect(out.promptLogprobs == (try prefill(drafts: [], logitsChunkRows: 4_096).1.promptLogprobs))
            #expect(out.promptLogprobs["a"]?.count == (i == 2 ? prompt.count - 1 : nil))
            #expect(runner.requests["a"]?.numComputedTokens == prompt.count + 3)
        }
    }

    @Test("logits taken three rows at a time keep each verification whole and give the tokens of one pass")
    func chunkedLogits() throws {
        let reference = try Self.baseline(maxTokens: 30)
        let expected = reference.map(\.output)
        let runner = try Self.runner()
        runner.model.logitsChunkRows = 3
        let driver = SpecDecodeDriver(runner: runner)
        let out = try driver.run(Self.prompts, params: Self.params, maxTokens: 16) { i, tokens in
            // 3 to 6 verification rows (a chunk holds 3), some drafts wrong.
            let m = tokens.count - Self.prompts[i].count
            return Array(expected[i][m...].prefix(i + 2)) + (m % 2 == 0 ? [1] : [])
        }
        #expect(out.map(\.output) == expected.map { Array($0.prefix(16)) })
        #expect(out.map(\.logprobs) == reference.map { Array($0.logprobs.prefix(16)) })
    }

    @Test("after a rejection the runner follows the scheduler's rolled-back numComputedTokens and overwrites the K/V")
    func rollBack() throws {
        let reference = try Self.baseline(maxTokens: 4)[0].output
        let prompt = Self.prompts[0]
        let runner = try Self.runner()
        runner.initializeKVCache(numBlocks: 8, blockSize: 4)
        _ = try runner.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    NewRequestData(reqID: "a", promptTokenIDs: prompt, samplingParams: .greedy, blockIDs: [0, 1, 2])
                ],
                numScheduledTokens: ["a": prompt.count]))
        // Three wrong drafts: one token back, the recovered one; the drafts are not kept.
        let wrong = [(reference[1] + 1) % 512, 5, 6]
        var out = try runner.execute(
            SchedulerOutput(
                stepID: 1,
                scheduledCachedReqs: [
                    CachedRequestData(reqID: "a", numComputedTokens: prompt.count, numOutputTokens: 1)
                ],
                numScheduledTokens: ["a": 4], scheduledSpecDecodeTokens: ["a": wrong]))
        #expect(out.sampledTokenIDs == [[reference[1]]])
        #expect(Array(runner.requests["a"]!.outputTokenIDs) == Array(reference.prefix(2)))
        #expect(runner.requests["a"]?.numComputedTokens == prompt.count + 1)
        // vLLM's scheduler: computed + 4 scheduled − 3 rejected. Positions prompt+1 ... hold the drafts' K/V until
        // this step overwrites them.
        out = try runner.execute(
            SchedulerOutput(
                stepID: 2,
                scheduledCachedReqs: [
                    CachedRequestData(reqID: "a", numComputedTokens: prompt.count + 1, numOutputTokens: 2)
                ],
                numScheduledTokens: ["a": 3],
                scheduledSpecDecodeTokens: ["a": [reference[2], (reference[3] + 1) % 512]]))
        #expect(out.sampledTokenIDs == [[reference[2], reference[3]]])
    }

    @Test("seeded random requests with drafts give the same tokens run to run and beside other requests")
    func seededReproducible() throws {
        var seeded = SamplingParams()
        seeded.temperature = 0.8
        seeded.seed = 1_234
        // An n-gram-like proposer: the two tokens that followed the last token's previous occurrence, else two repeats.
        func propose(_ i: Int, _ tokens: [TokenID]) -> [TokenID] {
            let last = tokens.last!
            if let at = tokens.dropLast().lastIndex(of: last), at + 2 < tokens.count {
                return [tokens[at + 1], tokens[at + 2]]
            }
            return [last, last]
        }
        let alone = try SpecDecodeDriver(runner: Self.runner()).run(
            [Self.prompts[1]], params: [seeded], maxTokens: 20, propose: propose)
        let again = try SpecDecodeDriver(runner: Self.runner()).run(
            [Self.prompts[1]], params: [seeded], maxTokens: 20, propose: propose)
        var other = SamplingParams()
        other.temperature = 1.2
        let crowded = try SpecDecodeDriver(runner: Self.runner()).run(
            [Self.prompts[0], Self.prompts[1], Self.prompts[2]], params: [other, seeded, .greedy], maxTokens: 20,
            propose: propose)
        #expect(alone[0].output == again[0].output)
        #expect(alone[0].output == crowded[1].output)
    }

    @Test("pipeline stages verify drafts as one runner does")
    func pipelineStages() throws {
        let reference = try Self.baseline(maxTokens: 20)
        let expected = reference.map(\.output)
        let driver = SpecDecodeDriver(runner: try PipelineRunners(source: .embeddedDefault, stages: 2))
        let out = try driver.run(Self.prompts, params: Self.params, maxTokens: 12) { i, tokens in
            let m = tokens.count - Self.prompts[i].count
            return Array(expected[i][m...].prefix(m % 3)) + [7]
        }
        #expect(out.map(\.output) == expected.map { Array($0.prefix(12)) })
        #expect(driver.accepted > 0 && driver.accepted < driver.proposed)
    }

    @Test("bad drafts are refused with the step, and the runner stays usable")
    func badDrafts() throws {
        let runner = try Self.runner()
        runner.initializeKVCache(numBlocks: 8, blockSize: 4)
        let prompt: [TokenID] = [1, 2, 3]
        _ = try runner.execute(
            SchedulerOutput(
                stepID: 0, scheduledNewReqs: [NewRequestData(reqID: "a", promptTokenIDs: prompt, blockIDs: [0, 1])],
                numScheduledTokens: ["a": 3]))
        let cached = CachedRequestData(reqID: "a", numComputedTokens: 3, numOutputTokens: 1)
        func step(_ n: Int, _ drafts: [TokenID], grammar: GrammarBitmask? = nil) -> SchedulerOutput {
            SchedulerOutput(
                stepID: 1, scheduledCachedReqs: [cached], numScheduledTokens: ["a": n], grammar: grammar,
                scheduledSpecDecodeTokens: ["a": drafts])
        }
        var words = [UInt32](repeating: .max, count: GrammarBitmask.wordsPerRow(vocabSize: Self.vocab))
        words[0] = 1
        #expect(
            throws: RunnerError.invalidRequest(
                reqID: "a", reason: "draft tokens and a grammar bitmask row in the same step (not supported)")
        ) {
            try runner.execute(step(3, [4, 5], grammar: GrammarBitmask(requestIDs: ["a"], words: words)))
        }
        #expect(
            throws: RunnerError.invalidRequest(
                reqID: "a", reason: "2 draft tokens in 2 scheduled tokens: at least one known token must come first")
        ) {
            try runner.execute(step(2, [4, 5]))
        }
        #expect(
            throws: RunnerError.invalidRequest(
                reqID: "a", reason: "draft token id 512 outside the vocabulary (512)")
        ) {
            try runner.execute(step(3, [4, 512]))
        }
        // The drafts must follow the last known token: from position 3, two known tokens would run past the four.
        #expect(throws: RunnerError.self) { try runner.execute(step(4, [4, 5])) }
        let stray = SchedulerOutput(
            stepID: 1, scheduledCachedReqs: [cached], numScheduledTokens: ["a": 1],
            scheduledSpecDecodeTokens: ["zz": [4]])
        #expect(
            throws: RunnerError.invalidRequest(
                reqID: "zz", reason: "draft tokens for a request not scheduled in this step")
        ) {
            try runner.execute(stray)
        }
        #expect(runner.requests["a"]?.numTokens == 4 && runner.requests["a"]?.numComputedTokens == 3)
        #expect(try runner.execute(step(3, [4, 5])).sampledTokenIDs[0].count >= 1)
    }
}
