import ApusTestSupport
import Scheduling
import ServingCore
import Synchronization
import Testing
@testable import Engine

/// An in-process executor that costs 1 ms of a fake clock per scheduled token and records the engine's step
/// timing as it stood inside each call.
final class TimedExecutor: ModelExecutor {
    let clock = Mutex<UInt64>(1_000)
    let runner = ScriptedRunner()
    let profile: RunnerProfile
    /// The engine whose state each call records; set once the engine exists.
    let engine = Mutex<EngineCore?>(nil)
    let seen = Mutex<[EngineState.StepTiming]>([])

    init(profile: RunnerProfile) { self.profile = profile }

    var now: UInt64 { clock.withLock { $0 } }

    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] { [profile] }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    func reconnect() async throws {}

    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        if let timing = engine.withLock({ $0 })?.state.stepTiming { seen.withLock { $0.append(timing) } }
        clock.withLock { $0 += UInt64(step.totalNumScheduledTokens) * 1_000_000 }
        return try runner.execute(step)
    }
}

@Suite("Engine step timing for the router's hung detection")
struct EngineStepTimingTests {
    @Test("each runner call is published while in flight with its tokens, then as the last step with its duration")
    func stepsAreTimed() async throws {
        let executor = TimedExecutor(profile: EngineLoopTests.profile)
        let config = EngineCore.Configuration(
            scheduler: SchedulerConfig(numGPUBlocks: 64, maxModelLen: 256), vocabSize: 100)
        let engine = try EngineCore(configuration: config, executor: executor, clock: { executor.now })
        executor.engine.withLock { $0 = engine }
        #expect(engine.state.stepTiming == EngineState.StepTiming(), "nothing timed before the first step")
        let loop = Task { await engine.run() }
        try await engine.generate(EngineLoopTests.request("t", prompt: 40, maxTokens: 3)) { _ in }
        loop.cancel()
        await loop.value

        // The prefill, two decodes, and maybe a step that only tells the runner the request finished.
        let seen = executor.seen.withLock { $0 }.prefix(3)
        #expect(seen.map(\.inFlightTokens) == [40, 1, 1])
        #expect(seen.map(\.inFlightSince) == [1_000, 1_000 + 40_000_000, 1_000 + 41_000_000])
        #expect(seen.map(\.lastDuration) == [0, 40_000_000, 1_000_000])
        #expect(seen.map(\.lastTokens) == [0, 40, 1])
        let after = engine.state.stepTiming
        #expect(after.inFlightSince == nil && after.inFlightTokens == 0)
        #expect(after.lastDuration == 1_000_000 && after.lastTokens == 1, "a step of no tokens times nothing")
    }

    @Test("a call that throws leaves no step in flight and does not time a step")
    func failedCallIsNotTimed() {
        let state = EngineState()
        state.stepStarted(tokens: 8, at: 100)
        state.stepReturned(at: 300, completed: true)
        state.stepStarted(tokens: 2_048, at: 400)
        #expect(state.stepTiming.inFlightSince == 400 && state.stepTiming.inFlightTokens == 2_048)
        state.stepReturned(at: 9_000, completed: false)
        #expect(state.stepTiming.inFlightSince == nil)
        #expect(state.stepTiming.lastDuration == 200 && state.stepTiming.lastTokens == 8)
    }
}
