import ServingCore
import Testing

@testable import ModelRuntime

@Suite("Model runner")
struct ModelRunnerTests {
    func tinyLlama() throws -> ModelRunner { try ModelRunner(source: .directory(Fixtures.path("tiny-llama"))) }

    func newRequest(_ id: String, _ prompt: [TokenID], blocks: [Int], params: SamplingParams = .greedy)
        -> NewRequestData
    {
        NewRequestData(reqID: id, promptTokenIDs: prompt, samplingParams: params, blockIDs: blocks)
    }

    @Test("the KV cache spec sizes a block as K and V of every layer in f32")
    func kvCacheSpec() throws {
        let spec = try tinyLlama().kvCacheSpec()
        #expect(spec == KVCacheSpec(numLayers: 2, numKVHeads: 2, headDim: 16, dtypeBytes: 4))
        #expect(spec.pageSizeBytes(blockSize: 16) == 2 * 16 * 2 * 16 * 4)
        #expect(spec.bytesPerBlock(blockSize: 16) == 2 * 2 * 16 * 2 * 16 * 4)
    }

    @Test("profile leaves the budget minus weights and peak activations for the KV cache")
    func profile() throws {
        let runner = try tinyLlama()
        let p = runner.profile(maxNumBatchedTokens: 300, maxNumSeqs: 8, memoryBudgetBytes: 10_000_000)
        #expect(p.weightsBytes == runner.weightsBytes && p.weightsBytes > 300_000)
        #expect(p.peakActivationBytes >= 300 * 64 * 4)
        #expect(p.availableKVCacheBytes == 10_000_000 - p.weightsBytes - p.peakActivationBytes)
        // The speed it measured: a 256-token prompt and a decode step of the 8 sequences it may batch.
        #expect(p.prefillTokenSeconds > 0 && p.decodeStepSeconds > 0 && p.decodeBatch == 8)
    }

    @Test("a partial prefill chunk returns no token; prompt logprobs of every chunk come with the completing one")
    func partialChunkAndLogprobs() throws {
        let runner = try tinyLlama()
        runner.initializeKVCache(numBlocks: 8, blockSize: 4)
        var params = SamplingParams.greedy
        params.logprobs = 3
        params.promptLogprobs = 2
        let prompt: [TokenID] = [5, 9, 11, 40, 3]
        let first = try runner.execute(
            SchedulerOutput(
                stepID: 0, scheduledNewReqs: [newRequest("a", prompt, blocks: [0, 1], params: params)],
                numScheduledTokens: ["a": 3]))
        #expect(first.reqIDs == ["a"] && first.sampledTokenIDs == [[]])
        // Kept until the prompt is complete (vLLM's in-progress prompt logprobs): the engine forwards only
        // outputs that carry a token.
        #expect(first.promptLogprobs.isEmpty)
        let second = try runner.execute(
            SchedulerOutput(
                stepID: 1, scheduledCachedReqs: [CachedRequestData(reqID: "a", numComputedTokens: 3, numOutputTokens: 0)],
                numScheduledTokens: ["a": 2]))
        let token = try #require(second.sampledTokenIDs.first?.first)
        #expect(second.promptLogprobs["a"]?.map { $0.tokenIDs[0] } == [9, 11, 40, 3])
        let lp = try #require(second.logprobs?.first?.first)
        #expect(lp.tokenIDs.count == 4 && lp.tokenIDs[0] == token && lp.sampledRank == 1)
    }

    @Test("logits taken two rows at a time give the tokens, logprobs and prompt logprobs of one pass")
    func chunkedLogits() throws {
        let (whole, chunked) = (try tinyLlama(), try tinyLlama())
        chunked.model.logitsChunkRows = 2
        var seeded = SamplingParams()
        seeded.temperature = 0.9
        seeded.seed = 7
        seeded.logprobs = 2
        var random = SamplingParams()
        random.temperature = 1.1
        random.topK = 20
        var withPrompt = SamplingParams.greedy
        withPrompt.promptLogprobs = 3
        withPrompt.logprobs = 1
        let requests = [
            newRequest("a", [5, 9, 11, 40, 3], blocks: [0, 1], params: withPrompt),
            newRequest("b", [7, 8], blocks: [2], params: seeded),
            newRequest("c", [1, 2, 3, 4, 5, 6, 7], blocks: [3, 4], params: random),
            newRequest("d", [12, 13, 14], blocks: [5], params: withPrompt),
            newRequest("e", [60], blocks: [6], params: random),
        ]
        let promptLengths = Dictionary(uniqueKeysWithValues: requests.map { ($0.reqID, $0.promptTokenIDs.count) })
        var outputs: [[ModelRunnerOutput]] = []
        for runner in [whole, chunked] {
            runner.initializeKVCache(numBlocks: 8, blockSize: 4)
            let prefill = try runner.execute(
                SchedulerOutput(
                    stepID: 0, scheduledNewReqs: requests,
                    numScheduledTokens: promptLengths))
            let decode = try runner.execute(
                SchedulerOutput(
                    stepID: 1,
                    scheduledCachedReqs: requests.map {
                        CachedRequestData(
                            reqID: $0.reqID, numComputedTokens: promptLengths[$0.reqID]!, numOutputTokens: 1)
                    },
                    numScheduledTokens: Dictionary(uniqueKeysWithValues: requests.map { ($0.reqID, 1) })))
            outputs.append([prefill, decode])
        }
        // 5 sampled rows and 4 + 2 prompt-logprob rows: chunks split both kinds and the boundary between them.
        #expect(outputs[1][0].promptLogprobs["a"]?.count == 4 && outputs[1][0].promptLogprobs["d"]?.count == 2)
        #expect(outputs[0] == outputs[1])
    }

    @Test("bad steps throw a clear error and leave the runner usable")
    func badStepsAreRefused() throws {
        let runner = try tinyLlama()
        let good = SchedulerOutput(
            stepID: 0, scheduledNewReqs: [newRequest("a", [1, 2, 3], blocks: [0])],
            numScheduledTokens: ["a": 3])
        #expect(throws: RunnerError.kvCacheNotInitialized) { try runner.execute(good) }
        runner.initializeKVCache(numBlocks: 4, blockSize: 4)
        let unknown = SchedulerOutput(
            stepID: 0, scheduledNewReqs: [newRequest("a", [1, 2, 3], blocks: [0])],
            scheduledCachedReqs: [CachedRequestData(reqID: "ghost", numComputedTokens: 3, numOutputTokens: 1)],
            numScheduledTokens: ["a": 3, "ghost": 1])
        #expect(throws: RunnerError.unknownRequest("ghost")) { try runner.execute(unknown) }
        #expect(runner.knownRequestIDs.isEmpty)
        let outOfRange = SchedulerOutput(
            stepID: 0, scheduledNewReqs: [newRequest("a", [1, 2, 3], blocks: [4])],
            numScheduledTokens: ["a": 3])
        #expect(throws: RunnerError.blockOutOfRange(reqID: "a", blockID: 4, numBlocks: 4)) {
            try runner.execute(outOfRange)
        }
        let tooLong = SchedulerOutput(
            stepID: 0, scheduledNewReqs: [newRequest("a", Array(repeating: 7, count: 257), blocks: [0])],
            numScheduledTokens: ["a": 257])
        #expect(throws: RunnerError.exceedsMaxModelLen(reqID: "a", tokens: 257, maxModelLen: 256)) {
            try runner.execute(tooLong)
        }
        let noBlocks = SchedulerOutput(
            stepID: 0, scheduledNewReqs: [newRequest("a", [1, 2, 3, 4, 5], blocks: [0])],
            numScheduledTokens: ["a": 5])
        #expect(throws: RunnerError.self) { try runner.execute(noBlocks) }
        var badParams = SamplingParams.greedy
        badParams.allowedTokenIDs = [3, 999]
        let outOfVocab = SchedulerOutput(
            stepID: 0, scheduledNewReqs: [newRequest("a", [1, 2], blocks: [0], params: badParams)],
            numScheduledTokens: ["a": 2])
        #expect(throws: RunnerError.invalidRequest(reqID: "a", reason: "token id 999 is out of vocabulary (size 128)"))
        {
            try runner.execute(outOfVocab)
        }
        #expect(try runner.execute(good).sampledTokenIDs.first?.count == 1)
    }

    @Test("an unscheduled request keeps its state and continues where it left off")
    func unscheduledRequestReturns() throws {
        let golden = try Fixtures.golden("tiny-llama").cases
        let runner = try tinyLlama()
        runner.initializeKVCache(numBlocks: 64, blockSize: 4)
        let (a, b) = (golden[0], golden[1])
        var out = try runner.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    newRequest("a", a.prompt, blocks: [0, 1, 2]),
                    newRequest(
                        "b", b.prompt,
                        blocks: [10, 11, 12, 13, 14]),
                ],
                numScheduledTokens: ["a": a.prompt.count, "b": b.prompt.count]))
        #expect(out.reqIDs == ["a", "b"])
        #expect(out.sampledTokenIDs == [[a.greedy[0]], [b.greedy[0]]])
        // Step 1 schedules only b; a leaves the batch but not the runner.
        out = try runner.execute(
            SchedulerOutput(
                stepID: 1,
                scheduledCachedReqs: [
                    CachedRequestData(
                        reqID: "b", numComputedTokens: b.prompt.count,
                        numOutputTokens: 1)
                ],
                numScheduledTokens: ["b": 1]))
        #expect(out.reqIDs == ["b"] && out.sampledTokenIDs == [[b.greedy[1]]])
        out = try runner.execute(
            SchedulerOutput(
                stepID: 2,
                scheduledCachedReqs: [
                    CachedRequestData(
                        reqID: "a", numComputedTokens: a.prompt.count,
                        numOutputTokens: 1)
                ],
                numScheduledTokens: ["a": 1]))
        #expect(out.reqIDs == ["a"] && out.sampledTokenIDs == [[a.greedy[1]]])
    }

    @Test("a resumed request replaces its block table and recomputes from all its tokens")
    func resumedRequestReplacesBlocks() throws {
        let c = try Fixtures.golden("tiny-llama").cases[1]
        let runner = try tinyLlama()
        runner.initializeKVCache(numBlocks: 64, blockSize: 4)
        _ = try runner.execute(
            SchedulerOutput(
                stepID: 0, scheduledNewReqs: [newRequest("a", c.prompt, blocks: Array(0..<6))],
                numScheduledTokens: ["a": c.prompt.count]))
        let all = c.prompt + c.greedy.prefix(3)
        // Preempted, then resumed into other blocks with its full token list (the runner only had one output).
        let out = try runner.execute(
            SchedulerOutput(
                stepID: 1,
                scheduledCachedReqs: [
                    CachedRequestData(
                        reqID: "a", resumed: true, newBlockIDs: Array(40..<46),
                        numComputedTokens: 0, numOutputTokens: 3, allTokenIDs: all)
                ],
                numScheduledTokens: ["a": all.count]))
        #expect(out.sampledTokenIDs == [[c.greedy[3]]])
        #expect(runner.requests["a"]?.blockIDs == Array(40..<46))
    }

    @Test("a request re-sent in full after a runner restart keeps its outputs apart from its prompt")
    func resentRequestWithOutputs() throws {
        let c = try Fixtures.golden("tiny-llama").cases[1]
        let runner = try tinyLlama()
        runner.initializeKVCache(numBlocks: 64, blockSize: 4)
        let outputs = Array(c.greedy.prefix(3))
        let out = try runner.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    NewRequestData(
                        reqID: "a", promptTokenIDs: c.prompt, samplingParams: .greedy,
                        blockIDs: Array(0..<6), outputTokenIDs: outputs)
                ],
                numScheduledTokens: ["a": c.prompt.count + 3]))
        #expect(out.sampledTokenIDs == [[c.greedy[3]]])
        #expect(runner.requests["a"]?.numPromptTokens == c.prompt.count)
        #expect(Array(runner.requests["a"]!.outputTokenIDs) == Array(c.greedy.prefix(4)))
    }

    @Test("finished requests are forgotten, and a reinitialized cache forgets everyone")
    func finishedAndReset() throws {
        let runner = try tinyLlama()
        runner.initializeKVCache(numBlocks: 8, blockSize: 4)
        _ = try runner.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    newRequest("a", [1, 2], blocks: [0]),
                    newRequest("b", [3, 4], blocks: [1]),
                ],
                numScheduledTokens: ["a": 2, "b": 2]))
        let out = try runner.execute(SchedulerOutput(stepID: 1, finishedReqIDs: ["a"]))
        #expect(out.reqIDs.isEmpty && runner.knownRequestIDs == ["b"])
        runner.initializeKVCache(numBlocks: 8, blockSize: 4)
        #expect(runner.knownRequestIDs.isEmpty)
    }
}
