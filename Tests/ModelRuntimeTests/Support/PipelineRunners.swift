import ServingCore

@testable import ModelRuntime

/// What `RunnerDriver` drives: one runner, or a pipeline of stage runners behaving as one.
protocol StepRunner: AnyObject {
    func initializeKVCache(numBlocks: Int, blockSize: Int)
    func execute(_ step: SchedulerOutput) throws(RunnerError) -> ModelRunnerOutput
    var captureLogits: Bool { get set }
    var capturedLogits: [String: [Float]] { get }
}

extension ModelRunner: StepRunner {}

/// Stage runners chained the way the engine-core's pipeline executor chains runner processes: every stage gets
/// the same step; each later stage also gets the previous stage's hidden states; stages before the last get, per
/// cached request, the tokens the last stage sampled since they last saw it.
final class PipelineRunners: StepRunner {
    let stages: [ModelRunner]
    /// Tokens the last stage sampled that the earlier stages have not been sent yet.
    private var undelivered: [String: [TokenID]] = [:]

    init(source: ModelSource, stages count: Int) throws {
        stages = try (0..<count).map { try ModelRunner(source: source, stageIndex: $0, stageCount: count) }
    }

    var captureLogits: Bool {
        get { stages.last!.captureLogits }
        set { stages.last!.captureLogits = newValue }
    }
    var capturedLogits: [String: [Float]] { stages.last!.capturedLogits }

    func initializeKVCache(numBlocks: Int, blockSize: Int) {
        for stage in stages { stage.initializeKVCache(numBlocks: numBlocks, blockSize: blockSize) }
        undelivered = [:]
    }

    func execute(_ step: SchedulerOutput) throws(RunnerError) -> ModelRunnerOutput {
        var early = step
        early.scheduledCachedReqs = step.scheduledCachedReqs.map { delta in
            var d = delta
            d.newTokenIDs = undelivered[delta.reqID] ?? []
            return d
        }
        var intermediate: IntermediateTensors?
        for stage in stages.dropLast() {
            var s = early
            s.intermediate = intermediate
            intermediate = try stage.execute(s).intermediate
        }
        var last = step
        last.intermediate = intermediate
        let out = try stages.last!.execute(last)
        for id in step.finishedReqIDs { undelivered[id] = nil }
        for delta in step.scheduledCachedReqs { undelivered[delta.reqID] = nil }
        for (k, id) in out.reqIDs.enumerated() where !out.sampledTokenIDs[k].isEmpty {
            undelivered[id, default: []] += out.sampledTokenIDs[k]
        }
        return out
    }
}
