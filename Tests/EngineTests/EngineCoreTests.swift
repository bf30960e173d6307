import ApusTestSupport
import Scheduling
import ServingCore
import Synchronization
import Testing
@testable import Engine

/// Collects a request's outputs (called on the engine loop).
final class OutputLog: Sendable {
    private let outputs = Mutex([EngineCoreOutput]())
    func append(_ o: EngineCoreOutput) { outputs.withLock { $0.append(o) } }
    var all: [EngineCoreOutput] { outputs.withLock { $0 } }
    var tokens: [TokenID] { all.flatMap(\.newTokenIDs) }
    var finish: FinishReason? { all.last?.finishReason }
}

@Suite("Engine loop over an in-process scripted executor")
struct EngineLoopTests {
    static let profile = RunnerProfile(
        model: "scripted", vocabSize: 100, maxModelLen: 512, numLayers: 1, numKVHeads: 1, headDim: 4, dtypeBytes: 4,
        availableKVBytes: 1 << 20)

    static func start(_ executor: any ModelExecutor, blocks: Int = 64, chunk: Int = 32) async throws -> (EngineCore, Task<Void, Never>) {
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = blocks
        options.maxNumBatchedTokens = chunk
        options.maxNumSeqs = 8
        options.maxModelLen = 256
        options.runnerLossTimeout = .seconds(5)
        let started = try await EngineBootstrap.start(executor: executor, options: options)
        let engine = started.engine
        return (engine, Task { await engine.run() })
    }

    static func request(_ id: String, prompt: Int, maxTokens: Int, eos: TokenID? = nil) -> EngineRequest {
        var p = SamplingParams()
        p.maxTokens = maxTokens
        return EngineRequest(requestID: id, promptTokenIDs: (0..<prompt).map { TokenID($0 % 90 + 5) }, samplingParams: p,
                             eosTokenID: eos)
    }

    @Test("requests get exactly max_tokens scripted tokens, chunked prefill emitting nothing until the prompt is done")
    func generatesScriptedTokens() async throws {
        let runner = ScriptedRunner { _, i in TokenID(10 + i) }
        let (engine, loop) = try await Self.start(ScriptedExecutor(runner: runner, profile: Self.profile))
        defer { loop.cancel() }
        let log = OutputLog()
        try await engine.generate(Self.request("a", prompt: 100, maxTokens: 5)) { log.append($0) }
        #expect(log.tokens == [10, 11, 12, 13, 14])
        #expect(log.finish == .length)
        #expect(log.all.count == 5, "one output per decode step, none for the 3 partial prefill chunks")
        #expect(log.all.first?.numCachedTokens == 0)
    }

    @Test("EOS stops a request with finish reason stop; the EOS token is part of the output")
    func eosStops() async throws {
        let runner = ScriptedRunner { _, i in i == 2 ? 3 : 20 }
        let (engine, loop) = try await Self.start(ScriptedExecutor(runner: runner, profile: Self.profile))
        defer { loop.cancel() }
        let log = OutputLog()
        try await engine.generate(Self.request("e", prompt: 8, maxTokens: 10, eos: 3)) { log.append($0) }
        #expect(log.tokens == [20, 20, 3])
        #expect(log.finish == .stop)
    }

    @Test("a second request with the same prompt prefix hits the prefix cache")
    func prefixCacheHit() async throws {
        let (engine, loop) = try await Self.start(ScriptedExecutor(profile: Self.profile))
        defer { loop.cancel() }
        let first = OutputLog(), second = OutputLog()
        try await engine.generate(Self.request("p1", prompt: 64, maxTokens: 2)) { first.append($0) }
        try await engine.generate(Self.request("p2", prompt: 64, maxTokens: 2)) { second.append($0) }
        #expect(second.all.first?.numCachedTokens == 48, "three full blocks of 16; the last token is always recomputed")
        #expect(engine.state.load.prefixCacheHits > 0)
    }

    @Test("abort ends a running request with finish reason abort and frees its blocks; cancelling the caller aborts too")
    func abortAndCancel() async throws {
        let (engine, loop) = try await Self.start(
            ScriptedExecutor(profile: Self.profile, stepDelay: .milliseconds(2)), blocks: 256)
        defer { loop.cancel() }
        let log = OutputLog(), other = OutputLog()
        let running = Task { try await engine.generate(Self.request("x", prompt: 20, maxTokens: 230)) { log.append($0) } }
        let cancelled = Task { try await engine.generate(Self.request("y", prompt: 20, maxTokens: 230)) { other.append($0) } }
        while log.all.isEmpty || other.all.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        engine.abort(["x", "not-a-request"])
        cancelled.cancel()
        try await running.value
        _ = await cancelled.result
        #expect(log.finish == .abort)
        #expect(await eventually { engine.state.load.numRunning == 0 && engine.state.load.kvCacheUsage == 0 })
        #expect(engine.state.load.numAbortsTotal == 2)
    }

    @Test("a request aborted, or whose caller is cancelled, before the loop admits it never runs")
    func abortBeforeAdmission() async throws {
        let (engine, loop) = try await Self.start(
            ScriptedExecutor(profile: Self.profile, stepDelay: .milliseconds(30)), blocks: 256)
        defer { loop.cancel() }
        let busy = OutputLog()
        let running = Task { try await engine.generate(Self.request("busy", prompt: 20, maxTokens: 40)) { busy.append($0) } }
        while busy.all.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        // The loop is inside a 30 ms step: the add and its abort both wait in the inbox, and the loop takes the
        // aborts alone between execute and update.
        let aborted = OutputLog()
        let late = Task { try await engine.generate(Self.request("late", prompt: 20, maxTokens: 200)) { aborted.append($0) } }
        try await Task.sleep(for: .milliseconds(2))
        engine.abort(["late"])
        try await late.value
        #expect(aborted.tokens.isEmpty && aborted.finish == .abort)
        // A caller cancelled before it submits.
        let cancelledLog = OutputLog()
        let cancelled = Task {
            while !Task.isCancelled { await Task.yield() }
            try await engine.generate(Self.request("cancelled", prompt: 20, maxTokens: 200)) { cancelledLog.append($0) }
        }
        cancelled.cancel()
        try await cancelled.value
        #expect(cancelledLog.tokens.isEmpty && cancelledLog.finish == .abort)
        try await running.value
        #expect(busy.tokens.count == 40)
        #expect(await eventually { engine.state.load.numRunning == 0 && engine.state.load.numWaiting == 0 })
    }

    @Test("invalid requests are refused before they reach the scheduler")
    func validation() async throws {
        let (engine, loop) = try await Self.start(ScriptedExecutor(profile: Self.profile))
        defer { loop.cancel() }
        await #expect(throws: EngineRequestError.self) { try await engine.generate(Self.request("empty", prompt: 0, maxTokens: 1)) { _ in } }
        await #expect(throws: EngineRequestError.self) { try await engine.generate(Self.request("long", prompt: 256, maxTokens: 1)) { _ in } }
        var bad = Self.request("vocab", prompt: 4, maxTokens: 1)
        bad.promptTokenIDs[0] = 100
        await #expect(throws: EngineRequestError.self) { try await engine.generate(bad) { _ in } }
    }

    @Test("a lost runner: every request is recomputed once it is back and still gets all its tokens")
    func runnerLossRecovery() async throws {
        let flaky = FlakyExecutor(profile: Self.profile, failAtStep: 6)
        let (engine, loop) = try await Self.start(flaky, blocks: 256)
        defer { loop.cancel() }
        let logs = (0..<4).map { _ in OutputLog() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, log) in logs.enumerated() {
                group.addTask { try await engine.generate(Self.request("r\(i)", prompt: 40, maxTokens: 12)) { log.append($0) } }
            }
            try await group.waitForAll()
        }
        #expect(logs.allSatisfy { $0.tokens.count == 12 && $0.finish == .length })
        #expect(flaky.reconnects == 1)
        #expect(engine.state.load.numPreemptions >= 1)
        #expect(engine.state.readiness == .ready)
    }
}

extension EngineLoopTests {
    @Test("a runner that never comes back: requests fail after the timeout, then new ones are refused at once")
    func runnerGoneForGood() async throws {
        let gone = GoneExecutor(profile: Self.profile)
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 64
        options.maxNumBatchedTokens = 32
        options.maxNumSeqs = 8
        options.maxModelLen = 256
        options.runnerLossTimeout = .milliseconds(200)
        let engine = try await EngineBootstrap.start(executor: gone, options: options).engine
        let loop = Task { await engine.run() }
        defer { loop.cancel() }
        let log = OutputLog()
        await #expect(throws: EngineRequestError.self) {
            try await engine.generate(Self.request("first", prompt: 20, maxTokens: 50)) { log.append($0) }
        }
        #expect(log.finish == .error)
        #expect(await eventually { if case .failed = engine.state.readiness { true } else { false } })
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            try await engine.generate(Self.request("later", prompt: 20, maxTokens: 5)) { _ in }
        } throws: { error in
            if case .runnerUnavailable(let why) = error as? EngineRequestError { why.contains("did not come back") } else { false }
        }
        #expect(start.duration(to: clock.now) < .seconds(2), "refused at once, not queued behind the reconnect")
    }
}

/// A runner lost at the second step that never answers again (its reconnect waits until cancelled).
final class GoneExecutor: ModelExecutor {
    let profile: RunnerProfile
    private let steps = Mutex(0)
    private let runner = ScriptedRunner(incarnation: "1")

    init(profile: RunnerProfile) { self.profile = profile }

    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] { [profile] }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    func reconnect() async throws { try await Task.sleep(for: .seconds(3600)) }

    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        let n = steps.withLock { n in
            n += 1
            return n
        }
        if n >= 2 { throw ExecutorError.runnerLost("connection reset") }
        return try runner.execute(step)
    }
}

/// A scripted executor whose runner "dies" once at a given step and comes back empty (a new incarnation).
final class FlakyExecutor: ModelExecutor {
    let profile: RunnerProfile
    private let state: Mutex<(runner: ScriptedRunner, steps: Int, reconnects: Int, failAt: Int)>

    init(profile: RunnerProfile, failAtStep: Int) {
        self.profile = profile
        state = Mutex((ScriptedRunner(incarnation: "1"), 0, 0, failAtStep))
    }

    var reconnects: Int { state.withLock { $0.reconnects } }

    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] { [profile] }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}

    func reconnect() async throws {
        state.withLock { s in
            s.reconnects += 1
            s.runner = ScriptedRunner(incarnation: "2")
        }
    }

    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        let runner = try state.withLock { s throws -> ScriptedRunner in
            s.steps += 1
            if s.steps == s.failAt { throw ExecutorError.runnerLost("connection reset") }
            return s.runner
        }
        return try runner.execute(step)
    }
}

/// Polls `condition` every millisecond until it holds or `timeout` passes; returns whether it held.
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

@Suite("Engine admission bound")
struct EngineAdmissionTests {
    @Test("past --max-pending-tokens a request is refused as full; the tokens come back when a request ends")
    func pendingTokensBound() async throws {
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 64
        options.maxNumSeqs = 8
        options.maxModelLen = 256
        options.maxPendingTokens = 100
        let executor = ScriptedExecutor(profile: EngineLoopTests.profile, stepDelay: .milliseconds(20))
        let engine = try await EngineBootstrap.start(executor: executor, options: options).engine
        let loop = Task { await engine.run() }
        defer { loop.cancel() }
        // 40 prompt + 30 output tokens each: one fits, a second would make 140.
        let first = Task { try await engine.generate(EngineLoopTests.request("a", prompt: 40, maxTokens: 30)) { _ in } }
        while engine.state.pendingTokens == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(engine.state.pendingTokens == 70)
        await #expect(throws: EngineRequestError.self) {
            try await engine.generate(EngineLoopTests.request("b", prompt: 40, maxTokens: 30)) { _ in }
        }
        try await first.value
        #expect(engine.state.pendingTokens == 0)
        // A request bigger than the bound still runs when nothing else is pending.
        let log = OutputLog()
        try await engine.generate(EngineLoopTests.request("big", prompt: 90, maxTokens: 20)) { log.append($0) }
        #expect(log.finish == .length && engine.state.pendingTokens == 0)
    }
}
