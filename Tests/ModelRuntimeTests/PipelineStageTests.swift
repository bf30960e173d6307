import ServingCore
import Testing

@testable import ModelRuntime

@Suite("Pipeline stages")
struct PipelineStageTests {
    @Test("layers split as vLLM's get_pp_indices: the remainder goes to the stages before the last")
    func split() throws {
        func ranges(_ layers: Int, _ count: Int) throws -> [Range<Int>] {
            try (0..<count).map { try PipelineStage(index: $0, of: count, numLayers: layers).layers }
        }
        #expect(try ranges(12, 5) == [0..<2, 2..<4, 4..<7, 7..<10, 10..<12])
        #expect(try ranges(4, 3) == [0..<1, 1..<3, 3..<4])
        #expect(try ranges(4, 2) == [0..<2, 2..<4])
        #expect(try ranges(7, 1) == [0..<7])
        #expect(throws: ModelLoadError.self) { try PipelineStage(index: 0, of: 5, numLayers: 4) }
        #expect(throws: ModelLoadError.self) { try PipelineStage(index: 2, of: 2, numLayers: 4) }
    }

    @Test("a stage loads only its layers; the embedding on the first, the norm and LM head on the last")
    func stageWeights() throws {
        let stages = try (0..<3).map { try ModelSource.embeddedDefault.loadWeights(stageIndex: $0, stageCount: 3) }
        #expect(stages.map(\.layers.count) == [1, 2, 1])
        #expect(stages.map { $0.embedTokens != nil } == [true, false, false])
        #expect(stages.map { $0.lmHead != nil } == [false, false, true])
        let whole = try ModelSource.embeddedDefault.loadWeights()
        #expect(stages.map(\.byteCount).reduce(0, +) == whole.byteCount)
        // The same tensors as the whole model: layer 1 of the model is layer 0 of stage 1.
        let a = whole.layers[1].gateUp.toArray()
        #expect(stages[1].layers[0].gateUp.toArray() == a)
    }

    static let tiedQwen = ModelConfig(
        architecture: .qwen2, vocabSize: 96, hiddenSize: 64, numLayers: 5, numHeads: 4, numKVHeads: 2,
        intermediateSize: 128, maxPositionEmbeddings: 512, tieWordEmbeddings: true)

    @Test(
        "stage runners chained give the single runner's tokens and logits (chunked prefill, preemption, shuffled blocks)",
        arguments: [(ModelSource.embeddedDefault, 2), (.embeddedDefault, 4), (.dummy(Self.tiedQwen, seed: 3), 3)])
    func pipelineMatchesSingleRunner(source: ModelSource, stages: Int) throws {
        var options = RunnerDriver.Options()
        options.chunkSize = 3
        options.tokenBudget = 7
        options.shuffleBlocks = true
        options.preemptEvery = 5
        options.maxTokens = 6
        let prompts: [[TokenID]] = [[5, 17, 33, 4, 90, 11, 12, 3], [7, 8], [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]]
        let single = try RunnerDriver(runner: try ModelRunner(source: source), options: options).run(prompts)
        let driver = try RunnerDriver(runner: try PipelineRunners(source: source, stages: stages), options: options)
        let piped = try driver.run(prompts)
        #expect(driver.preemptions > 0 && driver.partialChunks > 0)
        for (a, b) in zip(single, piped) {
            #expect(a.output == b.output, "\(a.id)")
            for (la, lb) in zip(a.logits, b.logits) {
                let worst = zip(la, lb).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
                #expect(worst < 1e-5, "\(a.id): logits differ by \(worst)")
            }
        }
    }

    @Test("a later stage refuses a step without hidden states, or with rows that do not match it, and stays usable")
    func badIntermediate() throws {
        let second = try ModelRunner(source: .embeddedDefault, stageIndex: 1, stageCount: 2)
        second.initializeKVCache(numBlocks: 8, blockSize: 4)
        var params = SamplingParams()
        params.temperature = 0
        var step = SchedulerOutput(
            stepID: 0,
            scheduledNewReqs: [NewRequestData(reqID: "a", promptTokenIDs: [1, 2, 3], samplingParams: params, blockIDs: [0])],
            numScheduledTokens: ["a": 3])
        #expect(throws: RunnerError.self) { try second.execute(step) }
        step.intermediate = IntermediateTensors(reqIDs: ["a"], numTokens: [2], hiddenSize: 256, values: .init(repeating: 0, count: 512))
        #expect(throws: RunnerError.self) { try second.execute(step) }
        #expect(second.knownRequestIDs.isEmpty)
        step.intermediate = IntermediateTensors(reqIDs: ["a"], numTokens: [3], hiddenSize: 256, values: .init(repeating: 0.1, count: 768))
        let out = try second.execute(step)
        #expect(out.sampledTokenIDs == [[out.sampledTokenIDs[0][0]]])
    }
}
