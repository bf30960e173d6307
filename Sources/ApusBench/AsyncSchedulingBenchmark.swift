import ApusTestSupport
import Engine
import Foundation
import Scheduling
import ServingCore
import Synchronization

/// Steps/s and tokens/s of the engine loop with async scheduling on and off (docs/architecture.md §4.9), on a
/// scripted executor: 64 concurrent requests of 128 prompt tokens and 384 output tokens, with a step that costs
/// nothing, sleeps (a device computing) or spins a core (a CPU runner), and an output callback that costs nothing
/// or spins.
public enum AsyncSchedulingBenchmark {
    /// One case: the step's sleep, the step's CPU spin, and the CPU spin of each output callback.
    public struct Case: Sendable {
        public var delay: Duration?
        public var cpu: Duration?
        public var emitCost: Duration?
    }

    public static let cases: [Case] = [
        Case(delay: nil, cpu: nil, emitCost: nil),
        Case(delay: .milliseconds(2), cpu: nil, emitCost: nil),
        Case(delay: nil, cpu: .milliseconds(2), emitCost: nil),
        Case(delay: .milliseconds(2), cpu: nil, emitCost: .microseconds(20)),
        Case(delay: nil, cpu: .milliseconds(2), emitCost: .microseconds(20)),
    ]

    static let requests = 64
    static let maxTokens = 384

    /// Each case `rounds` times with async off then on; one line per run.
    public static func run(cases: [Case] = cases, rounds: Int = 2) async throws -> [String] {
        var lines: [String] = []
        for c in cases {
            for _ in 0..<rounds {
                for async in [false, true] { lines.append(try await measure(async: async, c)) }
            }
        }
        return lines
    }

    static func measure(async: Bool, _ c: Case) async throws -> String {
        let profile = RunnerProfile(
            model: "scripted", vocabSize: 1000, maxModelLen: 4096, numLayers: 1, numKVHeads: 1, headDim: 4,
            dtypeBytes: 4, availableKVBytes: 1 << 30)
        let executor = StepCounter(ScriptedExecutor(profile: profile, stepDelay: c.delay, stepCPUCost: c.cpu))
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 4096
        options.maxNumSeqs = requests
        options.maxNumBatchedTokens = 8192
        options.maxModelLen = 1024
        options.asyncScheduling = async
        let engine = try await EngineBootstrap.start(executor: executor, options: options).engine
        let loop = Task { await engine.run() }
        defer { loop.cancel() }
        let tokens = TokenCount()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<requests {
                group.addTask {
                    var p = SamplingParams()
                    p.maxTokens = maxTokens
                    let request = EngineRequest(
                        requestID: "b\(i)", promptTokenIDs: (0..<128).map { TokenID(($0 * 7 + i) % 900 + 5) },
                        samplingParams: p)
                    try await engine.generate(request) { output in
                        if let cost = c.emitCost { spin(cost) }
                        tokens.add(output.newTokenIDs.count)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let (steps, total) = (executor.steps, tokens.total)
        func f(_ d: Duration?) -> String { d.map { "\($0)" } ?? "none" }
        return String(
            format: "async=%@ delay=%@ cpu=%@ emit=%@: steps %d, %.3f s, %.0f steps/s, %.0f tokens/s%@",
            async ? "on " : "off", f(c.delay), f(c.cpu), f(c.emitCost), steps, seconds, Double(steps) / seconds,
            Double(total) / seconds, total == requests * maxTokens ? "" : " (INCOMPLETE: \(total) tokens)")
    }

    static func spin(_ d: Duration) {
        let clock = ContinuousClock()
        let end = clock.now + d
        while clock.now < end {}
    }
}

/// Counts the steps that reach the executor.
final class StepCounter: ModelExecutor {
    let inner: ScriptedExecutor
    private let count = Mutex(0)
    init(_ inner: ScriptedExecutor) { self.inner = inner }
    var steps: Int { count.withLock { $0 } }
    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] {
        try await inner.describe(maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs)
    }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    func reconnect() async throws {}
    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        count.withLock { $0 += 1 }
        return try await inner.execute(step)
    }
}

/// Tokens emitted so far, added to from the output callbacks.
final class TokenCount: Sendable {
    private let count = Mutex(0)
    func add(_ n: Int) { count.withLock { $0 += n } }
    var total: Int { count.withLock { $0 } }
}
