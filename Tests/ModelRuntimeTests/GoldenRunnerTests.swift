import Foundation
import ServingCore
import Testing

@testable import ModelRuntime

/// Greedy continuations through the runner, under every batching shape the engine-core produces, must be
/// transformers' tokens, and the logits they were sampled from transformers' logits.
@Suite("Runner continuations match transformers")
struct GoldenRunnerTests {
    static let models = ["tiny-llama", "tiny-qwen2", "tiny-qwen3"]

    func check(
        _ name: String, _ options: RunnerDriver.Options, numBlocks: Int = 256, parallel: Bool = false,
        gemmAlways: Bool = false
    ) throws {
        let golden = try Fixtures.golden(name)
        let runner = try ModelRunner(source: .directory(Fixtures.path(name)))
        // The tiny models fall under the inline threshold; `parallel` forces the threaded path.
        if parallel { runner.model.attention.parallelWorkThreshold = 0 }
        // `gemmAlways` sends decodes and short chunks through the gathered-GEMM path too.
        if gemmAlways {
            runner.model.attention.gemmQueryThreshold = 1
            runner.model.attention.queryTile = 2
        }
        let driver = try RunnerDriver(runner: runner, numBlocks: numBlocks, options: options)
        let results = try driver.run(golden.cases.map(\.prompt))
        #expect(options.preemptEvery == nil || driver.preemptions > 0)
        for (c, r) in zip(golden.cases, results) {
            #expect(r.output == c.greedy)
            for (i, logits) in r.logits.enumerated() {
                #expect(Fixtures.relativeError(logits, c.logits[c.prompt.count - 1 + i]) < 1e-4, "token \(i)")
            }
        }
    }

    @Test("one whole prefill, then decodes", arguments: models)
    func wholePrefill(name: String) throws { try check(name, .init()) }

    @Test("prefill in chunks of 1, 3 and 16 tokens", arguments: models, [1, 3, 16])
    func chunkedPrefill(name: String, chunk: Int) throws { try check(name, .init(chunkSize: chunk)) }

    @Test("decodes batched with other requests' prefills", arguments: models)
    func decodesWithPrefills(name: String) throws {
        try check(name, .init(chunkSize: 7, tokenBudget: 12, arrivalSteps: [0, 2, 5]))
        try check(name, .init(chunkSize: 7, tokenBudget: 12, arrivalSteps: [0, 2, 5]), parallel: true)
        try check(name, .init(chunkSize: 7, tokenBudget: 12, arrivalSteps: [0, 2, 5]), gemmAlways: true)
    }

    @Test("a shuffled, non-contiguous block table", arguments: models)
    func shuffledBlocks(name: String) throws {
        try check(name, .init(blockSize: 3, chunkSize: 5, shuffleBlocks: true), numBlocks: 97, parallel: true)
        try check(
            name, .init(blockSize: 3, chunkSize: 5, shuffleBlocks: true), numBlocks: 97, parallel: true,
            gemmAlways: true)
    }

    @Test("requests preempted mid-generation recompute into new blocks and continue identically", arguments: models)
    func preemptedAndResumed(name: String) throws {
        try check(name, .init(blockSize: 4, chunkSize: 5, shuffleBlocks: true, preemptEvery: 3))
    }

    @Test("bf16 checkpoints give transformers' greedy tokens on the converted weights", arguments: models)
    func bf16Greedy(name: String) throws { try check(name + "-bf16", .init(chunkSize: 6)) }

    @Test("a Mistral config over the Llama weights runs the same model, capped at its sliding window")
    func mistralArchitecture() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(
            atPath: Fixtures.path("tiny-llama/model.safetensors"),
            toPath: dir.appendingPathComponent("model.safetensors").path)
        let config = try String(contentsOfFile: Fixtures.path("tiny-llama/config.json"), encoding: .utf8)
            .replacingOccurrences(of: "LlamaForCausalLM", with: "MistralForCausalLM")
            .replacingOccurrences(
                of: "\"model_type\": \"llama\"", with: "\"model_type\": \"mistral\", \"sliding_window\": 100")
        try config.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let runner = try ModelRunner(source: .directory(dir.path))
        #expect(runner.config.architecture == .mistral && runner.maxModelLen == 100)
        let golden = try Fixtures.golden("tiny-llama")
        let results = try RunnerDriver(runner: runner, options: .init(chunkSize: 6)).run(golden.cases.map(\.prompt))
        #expect(results.map(\.output) == golden.cases.map(\.greedy))
    }

    @Test("prefill on top of a prefix cached by an earlier request", arguments: models)
    func prefixCached(name: String) throws {
        let golden = try Fixtures.golden(name)
        let c = golden.cases[2]
        let runner = try ModelRunner(source: .directory(Fixtures.path(name)))
        runner.initializeKVCache(numBlocks: 64, blockSize: 4)
        runner.captureLogits = true
        // Request A computes the whole prompt into blocks 10..., then finishes; its blocks stay cached.
        let blocksA = Array(10..<(10 + (c.prompt.count + 3) / 4 + 1))
        _ = try runner.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    NewRequestData(reqID: "a", promptTokenIDs: c.prompt, samplingParams: .greedy, blockIDs: blocksA)
                ],
                numScheduledTokens: ["a": c.prompt.count]))
        // Request B hits the first 8 full blocks (32 tokens) and computes the rest of the same prompt.
        let hit = 32
        var blocksB = Array(blocksA.prefix(hit / 4)) + [50, 51, 52]
        var out = try runner.execute(
            SchedulerOutput(
                stepID: 1,
                scheduledNewReqs: [
                    NewRequestData(
                        reqID: "b", promptTokenIDs: c.prompt, samplingParams: .greedy, blockIDs: blocksB,
                        numComputedTokens: hit)
                ],
                numScheduledTokens: ["b": c.prompt.count - hit], finishedReqIDs: ["a"]))
        var tokens = out.sampledTokenIDs[0]
        #expect(Fixtures.relativeError(runner.capturedLogits["b"]!, c.logits[c.prompt.count - 1]) < 1e-4)
        while tokens.count < c.greedy.count {
            let computed = c.prompt.count + tokens.count - 1
            var newBlocks: [Int] = []
            if computed + 1 > blocksB.count * 4 {
                newBlocks = [blocksB.last! + 1]
                blocksB += newBlocks
            }
            out = try runner.execute(
                SchedulerOutput(
                    stepID: 1 + tokens.count,
                    scheduledCachedReqs: [
                        CachedRequestData(
                            reqID: "b", newBlockIDs: newBlocks, numComputedTokens: computed,
                            numOutputTokens: tokens.count)
                    ],
                    numScheduledTokens: ["b": 1]))
            tokens += out.sampledTokenIDs[0]
        }
        #expect(tokens == c.greedy)
    }
}
