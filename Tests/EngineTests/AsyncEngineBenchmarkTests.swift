import ApusTestSupport
import Foundation
import Scheduling
import ServingCore
import Synchronization
import Testing

@testable import Engine

/// Counts the steps and scheduled tokens that reach the executor.
final class CountingExecutor: ModelExecutor {
    let inner: ScriptedExecutor
    private let counts = Mutex((steps: 0, tokens: 0))
    init(_ inner: ScriptedExecutor) { self.inner = inner }
    var steps: Int { counts.withLock { $0.steps } }
    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] {
        try await inner.describe(maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs)
    }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    func reconnect() async throws {}
    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        counts.withLock {
            $0.steps += 1
            $0.tokens += step.totalNumScheduledTokens
        }
        return try await inner.execute(step)
    }
}

/// Steps/s and tokens/s with async scheduling on and off (set APUS_ASYNC_BENCH=1 to run; prints one line per case).
@Suite("Async scheduling throughput", .serialized, .enabled(if: AsyncBench.requested, "set APUS_ASYNC_BENCH=1"))
struct AsyncEngineBenchmarkTests {
    static let profile = RunnerProfile(
        model: "scripted", vocabSize: 1000, maxModelLen: 4096, numLayers: 1, numKVHeads: 1, headDim: 4,
        dtypeBytes: 4, availableKVBytes: 1 << 30)

    static func spin(_ d: Duration) {
        let clock = ContinuousClock()
        let end = clock.now + d
        while clock.now < end {}
    }

    static let maxTokens = 384

    /// 64 concurrent requests, 128-token prompts, `maxTokens` output tokens each.
    static func measure(async: Bool, delay: Duration?, cpu: Duration?, emitCost: Duration?) async throws -> String {
        let executor = CountingExecutor(ScriptedExecutor(profile: profile, stepDelay: delay, stepCPUCost: cpu))
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 4096
        options.maxNumSeqs = 64
        options.maxNumBatchedTokens = 8192
        options.maxModelLen = 1024
        options.asyncScheduling = async
        let engine = try await EngineBootstrap.start(executor: executor, options: options).engine
        let loop = Task { await engine.run() }
        defer { loop.cancel() }
        let tokens = TokenCounter()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask {
                    var p = SamplingParams()
                    p.maxTokens = Self.maxTokens
                    let req = EngineRequest(
                        requestID: "b\(i)", promptTokenIDs: (0..<128).map { TokenID(($0 * 7 + i) % 900 + 5) },
                        samplingParams: p)
                    try await engine.generate(req) { o in
                        if let emitCost { spin(emitCost) }
                        tokens.add(o.newTokenIDs.count)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let steps = executor.steps
        let total = tokens.total
        #expect(total == 64 * Self.maxTokens)
        func f(_ d: Duration?) -> String { d.map { "\($0)" } ?? "none" }
        return String(
            format: "async=%@ delay=%@ cpu=%@ emit=%@: steps %d, %.3f s, %.0f steps/s, %.0f tokens/s",
            async ? "on " : "off", f(delay), f(cpu), f(emitCost), steps, seconds, Double(steps) / seconds,
            Double(total) / seconds)
    }

    @Test("64 concurrent requests: async on vs off")
    func throughput() async throws {
        let cases: [(Duration?, Duration?, Duration?)] = [
            (nil, nil, nil),
            (.milliseconds(2), nil, nil),
            (nil, .milliseconds(2), nil),
            (.milliseconds(2), nil, .microseconds(20)),
            (nil, .milliseconds(2), .microseconds(20)),
        ]
        // APUS_ASYNC_BENCH=cpu runs only the cases with a CPU-costly step, six times each way.
        let cpuOnly = ProcessInfo.processInfo.environment["APUS_ASYNC_BENCH"] == "cpu"
        for (delay, cpu, emit) in cases where !cpuOnly || cpu != nil {
            for async in Array(repeating: [false, true], count: cpuOnly ? 6 : 2).joined() {
                print("ASYNC-BENCH " + (try await Self.measure(async: async, delay: delay, cpu: cpu, emitCost: emit)))
            }
        }
    }
}

final class TokenCounter: Sendable {
    private let count = Mutex(0)
    func add(_ n: Int) { count.withLock { $0 += n } }
    var total: Int { count.withLock { $0 } }
}

enum AsyncBench {
    static var requested: Bool { ProcessInfo.processInfo.environment["APUS_ASYNC_BENCH"] != nil }
}
