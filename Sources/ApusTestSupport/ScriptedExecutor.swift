import Engine
import ServingCore
import Synchronization

/// A fake runner for tests and capacity planning: no model, tokens come from a script.
///
/// It keeps the same soft state a real runner keeps (token counts per request) so it knows when a step is a
/// partial prefill (no token) and which output position it is at, and it rejects cached deltas for requests it
/// does not hold, exactly as a real runner would. Speculative drafts are verified against the script, as a greedy
/// rejection sampler would against a model whose argmax is the script: the longest run of drafts equal to the
/// scripted tokens is accepted, and the next scripted token follows.
public final class ScriptedRunner: Sendable {
    /// The token emitted for (request id, output position).
    public typealias Script = @Sendable (_ reqID: String, _ outputIndex: Int) -> TokenID

    private struct Held {
        var numTokens: Int
        var numOutputs: Int
    }

    private let script: Script
    private let held = Mutex([String: Held]())
    public let incarnation: String
    /// A stand-in for a draft model: after each sampling step, the drafts it returns for the request's next step.
    public typealias Drafter = @Sendable (_ reqID: String, _ nextOutputIndex: Int) -> [TokenID]
    private let drafter: Drafter?

    public init(
        incarnation: String = String(UInt64.random(in: 1...UInt64.max), radix: 16),
        script: @escaping Script = { _, _ in 7 }, drafter: Drafter? = nil
    ) {
        self.incarnation = incarnation
        self.drafter = drafter
        self.script = script
    }

    /// Applies one step: finished ids first, then new requests, then deltas (docs/architecture.md §4.5).
    public func execute(_ out: SchedulerOutput) throws(ExecutorError) -> ModelRunnerOutput {
        try held.withLock { (held) throws(ExecutorError) -> ModelRunnerOutput in
            for id in out.finishedReqIDs { held[id] = nil }
            for r in out.scheduledNewReqs {
                held[r.reqID] = Held(
                    numTokens: r.promptTokenIDs.count + r.outputTokenIDs.count, numOutputs: r.outputTokenIDs.count)
            }
            var reqIDs: [String] = []
            var sampled: [[TokenID]] = []
            var proposals: [[TokenID]] = []
            let order = out.scheduledCachedReqs.map { ($0.reqID, $0.numComputedTokens) }
                + out.scheduledNewReqs.map { ($0.reqID, $0.numComputedTokens) }
            for (id, numComputed) in order {
                guard var h = held[id] else { throw .stepFailed("unknown request id \(id)") }
                let n = out.numScheduledTokens[id] ?? 0
                reqIDs.append(id)
                let drafts = out.scheduledSpecDecodeTokens[id] ?? []
                if numComputed + n - drafts.count >= h.numTokens {
                    var accepted = 0
                    while accepted < drafts.count && drafts[accepted] == script(id, h.numOutputs + accepted) {
                        accepted += 1
                    }
                    let tokens = (0...accepted).map { script(id, h.numOutputs + $0) }
                    h.numTokens += tokens.count
                    h.numOutputs += tokens.count
                    sampled.append(tokens)
                    proposals.append(drafter?(id, h.numOutputs) ?? [])
                } else {
                    sampled.append([])
                    proposals.append([])
                }
                held[id] = h
            }
            return ModelRunnerOutput(
                stepID: out.stepID, reqIDs: reqIDs, sampledTokenIDs: sampled, runnerIncarnation: incarnation,
                draftTokenIDs: drafter == nil ? nil : proposals)
        }
    }

    /// Requests whose state this runner holds (tests check that finished ids were dropped).
    public var heldRequestIDs: Set<String> { held.withLock { Set($0.keys) } }
}

/// An in-process `ModelExecutor` over a `ScriptedRunner`, with an optional per-step delay and CPU cost.
public final class ScriptedExecutor: ModelExecutor {
    public let runner: ScriptedRunner
    public let profile: RunnerProfile
    private let stepDelay: Duration?
    private let stepCPUCost: Duration?

    /// `stepDelay` sleeps (a device computing), `stepCPUCost` spins a core (a runner's CPU work) per step.
    public init(
        runner: ScriptedRunner = ScriptedRunner(), profile: RunnerProfile, stepDelay: Duration? = nil,
        stepCPUCost: Duration? = nil
    ) {
        self.runner = runner
        self.profile = profile
        self.stepDelay = stepDelay
        self.stepCPUCost = stepCPUCost
    }

    public func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] { [profile] }
    public func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    public func reconnect() async throws {}

    public func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        if let stepDelay { try await Task.sleep(for: stepDelay) }
        if let stepCPUCost {
            let clock = ContinuousClock()
            let end = clock.now + stepCPUCost
            while clock.now < end {}
        }
        return try runner.execute(step)
    }
}
