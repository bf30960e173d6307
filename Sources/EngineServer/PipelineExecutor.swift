import Engine
import Scheduling
import ServingCore
import Synchronization
import Wire

/// Drives one model replica split over several runner processes, one pipeline stage each (docs/architecture.md §4.8):
/// stage `i` holds a contiguous range of layers; the engine-core relays each step through the stages in order.
///
/// Every stage gets the same scheduler output, so each keeps the same persistent batch and block tables (the
/// block ids are the engine-core's, shared by all stages; each stage stores K/V of its own layers). A later
/// stage also gets the previous stage's hidden states. Only the last stage samples, so the stages before it get,
/// per cached request, the tokens it sampled since they last saw the request (`new_token_ids`). KV sizing takes
/// the minimum over the stages (the engine does that over the profiles `describe` returns). With one stage this
/// is a plain pass-through to that runner.
public final class PipelineExecutor: ModelExecutor {
    public let stages: [RemoteRunnerExecutor]
    /// Tokens the last stage sampled that the earlier stages have not been sent yet, by request id.
    private let undelivered = Mutex<[String: [TokenID]]>([:])

    public init(stages: [RemoteRunnerExecutor]) {
        precondition(!stages.isEmpty, "a pipeline needs at least one stage")
        self.stages = stages
    }

    /// The most silent stage's silence: one stopped stage stalls the whole pipeline.
    public var runnerSilence: Duration? {
        let silences = stages.compactMap(\.runnerSilence)
        return silences.count == stages.count ? silences.max() : nil
    }

    /// Every stage's runner: a consumer's stages each read their layers from the stages that hold them.
    public var kvSources: [KVSource] { stages.flatMap(\.kvSources) }

    /// Every stage pulls its own layers, at once; the pull fails when any stage's does.
    public func loadKV(
        requestID: String, sources: [KVSource], localBlockIDs: [Int], remoteBlockIDs: [Int], timeout: Duration
    ) async throws -> KVLoadStats {
        try await withThrowingTaskGroup(of: KVLoadStats.self) { group in
            for stage in stages {
                group.addTask {
                    try await stage.loadKV(
                        requestID: requestID, sources: sources, localBlockIDs: localBlockIDs,
                        remoteBlockIDs: remoteBlockIDs, timeout: timeout)
                }
            }
            var total = KVLoadStats(bytes: 0, blocks: 0, seconds: 0)
            for try await s in group {
                total.bytes += s.bytes
                total.blocks = max(total.blocks, s.blocks)
                total.seconds = max(total.seconds, s.seconds)
            }
            return total
        }
    }

    public func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] {
        var profiles: [RunnerProfile] = []
        for stage in stages {
            profiles += try await stage.describe(maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs)
        }
        try Self.checkStages(profiles, targets: stages.map(\.client.target))
        return profiles
    }

    /// The runners, in the order given, must cover the model's layers exactly once, in order, for one model.
    static func checkStages(_ profiles: [RunnerProfile], targets: [String]) throws {
        var next = 0
        for (i, p) in profiles.enumerated() {
            let first = profiles[0]
            guard p.model == first.model, p.vocabSize == first.vocabSize, p.numLayersTotal == first.numLayersTotal
            else {
                throw PipelineError("runner \(targets[i]) serves \(p.model) (\(p.numLayersTotal) layers), "
                    + "runner \(targets[0]) serves \(first.model) (\(first.numLayersTotal) layers)")
            }
            guard p.layers.lowerBound == next else {
                throw PipelineError("runner \(targets[i]) holds layers \(p.layers.lowerBound)..<\(p.layers.upperBound) "
                    + "but stage \(i) must start at layer \(next): give every stage's runner, in stage order, "
                    + "as repeated --runner")
            }
            next = p.layers.upperBound
        }
        guard next == profiles[0].numLayersTotal else {
            throw PipelineError("the runners hold layers 0..<\(next) of \(profiles[0].numLayersTotal): "
                + "the stages after the last one given are missing")
        }
    }

    public func initializeCache(numBlocks: Int, blockSize: Int) async throws {
        undelivered.withLock { $0.removeAll() }
        for stage in stages { try await stage.initializeCache(numBlocks: numBlocks, blockSize: blockSize) }
    }

    public func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        guard stages.count > 1 else { return try await stages[0].execute(step) }
        let wire = ApusV1.SchedulerOutput(step)
        var early = wire
        undelivered.withLock { tokens in
            for i in early.scheduledCachedReqs.indices {
                early.scheduledCachedReqs[i].newTokenIDs = tokens[early.scheduledCachedReqs[i].reqID] ?? []
            }
        }
        var incarnations: [String] = []
        var intermediate: ApusV1.IntermediateTensors?
        for (i, stage) in stages.dropLast().enumerated() {
            var s = early
            s.intermediateTensors = intermediate
            let out = try await stage.execute(s)
            incarnations.append(out.incarnationID)
            if out.intermediateTensors == nil && step.totalNumScheduledTokens > 0 {
                throw ExecutorError.stepFailed("\(stage.client.target) (stage \(i)) returned no hidden states")
            }
            intermediate = out.intermediateTensors
        }
        var last = wire
        last.intermediateTensors = intermediate
        let out = try await stages[stages.count - 1].execute(last)
        incarnations.append(out.incarnationID)
        undelivered.withLock { tokens in
            for id in wire.finishedReqIDs { tokens[id] = nil }
            for r in wire.scheduledNewReqs { tokens[r.reqID] = nil }
            for r in wire.scheduledCachedReqs { tokens[r.reqID] = nil }
            for (id, sampled) in zip(out.reqIDs, out.sampledTokenIDs) where !sampled.isEmpty {
                tokens[id, default: []] += sampled
            }
        }
        var result = try RemoteRunnerExecutor.output(out, from: stages[stages.count - 1].client)
        // NOTE: one incarnation for the whole pipeline: a restart of any stage changes it.
        result.runnerIncarnation = incarnations.joined(separator: "/")
        return result
    }

    public func reconnect() async throws {
        for stage in stages { try await stage.reconnect() }
    }
}

/// The runners given to one engine-core do not form a pipeline of one model.
public struct PipelineError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
