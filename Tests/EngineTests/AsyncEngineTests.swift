import ApusTestSupport
import Scheduling
import ServingCore
import Synchronization
import Testing

@testable import Engine

@Suite("Engine loop with async scheduling (two steps in flight)")
struct AsyncEngineTests {
    static func start(
        _ executor: any ModelExecutor, async: Bool, blocks: Int = 64, chunk: Int = 32, maxNumSeqs: Int = 8
    ) async throws -> (EngineCore, Task<Void, Never>) {
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = blocks
        options.maxNumBatchedTokens = chunk
        options.maxNumSeqs = maxNumSeqs
        options.maxModelLen = 256
        options.runnerLossTimeout = .seconds(5)
        options.asyncScheduling = async
        let started = try await EngineBootstrap.start(executor: executor, options: options)
        let engine = started.engine
        #expect(engine.configuration.scheduler.asyncScheduling == async)
        return (engine, Task { await engine.run() })
    }

    struct Outcome: Equatable {
        var tokens: [TokenID]
        var finish: FinishReason?
    }

    /// Runs `count` random requests at once (prompt lengths, max_tokens, EOS positions from `seed`) and returns
    /// each one's tokens and finish reason; the engine must end with nothing running and every block free.
    static func randomWorkload(seed: Int, async: Bool, count: Int = 24) async throws -> [String: Outcome] {
        var rng = SplitMix64(seed: UInt64(seed) &+ 7)
        let specs = (0..<count).map { i in
            (id: "r\(i)", prompt: Int.random(in: 1...120, using: &rng), maxTokens: Int.random(in: 1...40, using: &rng),
             eosAt: Int.random(in: 0..<3, using: &rng) == 0 ? Int.random(in: 0..<40, using: &rng) : -1)
        }
        let eosAt = Dictionary(uniqueKeysWithValues: specs.map { ($0.id, $0.eosAt) })
        let runner = ScriptedRunner { id, k in k == eosAt[id]! ? 3 : TokenID(10 + k % 80) }
        let (engine, loop) = try await start(
            ScriptedExecutor(runner: runner, profile: EngineLoopTests.profile), async: async,
            blocks: Int.random(in: 24...80, using: &rng), chunk: Int.random(in: 8...64, using: &rng))
        defer { loop.cancel() }
        let logs = specs.map { _ in OutputLog() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (spec, log) in zip(specs, logs) {
                group.addTask {
                    try await engine.generate(
                        EngineLoopTests.request(spec.id, prompt: spec.prompt, maxTokens: spec.maxTokens, eos: 3)
                    ) { log.append($0) }
                }
            }
            try await group.waitForAll()
        }
        try await settle(engine)
        #expect(engine.state.load.numRunning == 0 && engine.state.load.numWaiting == 0)
        #expect(engine.state.load.kvCacheUsage == 0, "no block leaked")
        return Dictionary(uniqueKeysWithValues: zip(specs, logs).map { ($0.id, Outcome(tokens: $1.tokens, finish: $1.finish)) })
    }

    /// Waits until the loop published its last step (the engine publishes after closing streams).
    static func settle(_ engine: EngineCore) async throws {
        for _ in 0..<200 where engine.state.load.numRunning > 0 || engine.state.load.kvCacheUsage > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("random workloads give the same tokens and finish reasons with async scheduling on and off", arguments: 0..<6)
    func sameResults(seed: Int) async throws {
        let sync = try await Self.randomWorkload(seed: seed, async: false)
        let async = try await Self.randomWorkload(seed: seed, async: true)
        #expect(sync.values.allSatisfy { $0.finish == .length || $0.finish == .stop })
        #expect(async == sync)
    }

    @Test("an EOS found one step late ends the stream with the EOS token; the extra token never reaches the client")
    func eosOneStepLate() async throws {
        let runner = ScriptedRunner { _, i in i == 2 ? 3 : 20 }
        let (engine, loop) = try await Self.start(
            ScriptedExecutor(runner: runner, profile: EngineLoopTests.profile), async: true)
        defer { loop.cancel() }
        let log = OutputLog()
        try await engine.generate(EngineLoopTests.request("e", prompt: 8, maxTokens: 10, eos: 3)) { log.append($0) }
        #expect(log.tokens == [20, 20, 3])
        #expect(log.finish == .stop)
        try await Self.settle(engine)
        #expect(engine.state.load.kvCacheUsage == 0)
    }

    @Test("abort and caller cancellation work with async scheduling on and off and free every block",
          arguments: [true, false])
    func abortAndCancel(async: Bool) async throws {
        let (engine, loop) = try await Self.start(
            ScriptedExecutor(profile: EngineLoopTests.profile, stepDelay: .milliseconds(2)), async: async, blocks: 256)
        defer { loop.cancel() }
        let log = OutputLog(), other = OutputLog()
        let running = Task {
            try await engine.generate(EngineLoopTests.request("x", prompt: 20, maxTokens: 230)) { log.append($0) }
        }
        let cancelled = Task {
            try await engine.generate(EngineLoopTests.request("y", prompt: 20, maxTokens: 230)) { other.append($0) }
        }
        while log.all.isEmpty || other.all.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        engine.abort(["x", "not-a-request"])
        cancelled.cancel()
        try await running.value
        _ = await cancelled.result
        #expect(log.finish == .abort)
        #expect(log.all.dropLast().allSatisfy { $0.finishReason == nil && $0.newTokenIDs.count == 1 })
        #expect(await eventually { engine.state.load.numRunning == 0 && engine.state.load.kvCacheUsage == 0 })
        #expect(engine.state.load.numAbortsTotal == 2)
    }

    @Test("a lost runner, async on and off: every request is recomputed and still gets all its tokens",
          arguments: [3, 6, 7, 12], [true, false])
    func runnerLoss(failAtStep: Int, async: Bool) async throws {
        let flaky = FlakyExecutor(profile: EngineLoopTests.profile, failAtStep: failAtStep)
        let (engine, loop) = try await Self.start(flaky, async: async, blocks: 256)
        defer { loop.cancel() }
        let logs = (0..<4).map { _ in OutputLog() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, log) in logs.enumerated() {
                group.addTask {
                    try await engine.generate(EngineLoopTests.request("r\(i)", prompt: 40, maxTokens: 12)) {
                        log.append($0)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(logs.allSatisfy { $0.tokens.count == 12 && $0.finish == .length })
        #expect(flaky.reconnects == 1)
        #expect(engine.state.load.numPreemptions >= 1)
        #expect(engine.state.readiness == .ready)
        try await Self.settle(engine)
        #expect(engine.state.load.kvCacheUsage == 0)
    }
}

/// Rejects (stepFailed) the `rejectAt`-th step that schedules request "bad"; otherwise a scripted runner with a delay.
final class RejectingExecutor: ModelExecutor {
    let profile: RunnerProfile
    let runner = ScriptedRunner(incarnation: "1")
    private let seen = Mutex(0)
    private let rejectAt: Int

    init(profile: RunnerProfile, rejectAt: Int) {
        self.profile = profile
        self.rejectAt = rejectAt
    }

    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] { [profile] }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    func reconnect() async throws {}

    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        try await Task.sleep(for: .milliseconds(30))
        if step.numScheduledTokens["bad"] != nil {
            let n = seen.withLock { n in
                n += 1
                return n
            }
            if n == rejectAt { throw ExecutorError.stepFailed("bad block id") }
        }
        return try runner.execute(step)
    }
}

extension AsyncEngineTests {
    @Test("a rejected step fails only its own requests; the step submitted behind it is recomputed, not failed")
    func rejectedStep() async throws {
        let executor = RejectingExecutor(profile: EngineLoopTests.profile, rejectAt: 3)
        let (engine, loop) = try await Self.start(executor, async: true, blocks: 256)
        defer { loop.cancel() }
        let bad = OutputLog(), good = OutputLog()
        let first = Task { try await engine.generate(EngineLoopTests.request("bad", prompt: 8, maxTokens: 50)) { bad.append($0) } }
        while bad.all.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        try await engine.generate(EngineLoopTests.request("c", prompt: 20, maxTokens: 6)) { good.append($0) }
        _ = await first.result
        #expect(bad.finish == .error)
        #expect(bad.all.last?.errorMessage == "the runner refused the step: bad block id")
        #expect(good.tokens.count == 6 && good.finish == .length)
        #expect(engine.state.load.numPreemptions == 1, "c was in the step behind the rejected one")
        try await Self.settle(engine)
        #expect(engine.state.load.kvCacheUsage == 0)
        #expect(executor.runner.heldRequestIDs.isSubset(of: ["bad", "c"]))
    }
}
