import ApusTestSupport
import Scheduling
import ServingCore
import StructuredOutput
import Synchronization
import Testing

@testable import Engine

/// An executor that records every step it runs (to read the masks the engine sent).
final class RecordingExecutor: ModelExecutor {
    let base: ScriptedExecutor
    private let recorded = Mutex([SchedulerOutput]())
    init(_ base: ScriptedExecutor) { self.base = base }
    var steps: [SchedulerOutput] { recorded.withLock { $0 } }
    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] {
        try await base.describe(maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs)
    }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    func reconnect() async throws {}
    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        recorded.withLock { $0.append(step) }
        return try await base.execute(step)
    }
}

@Suite("Engine loop: structured outputs")
struct EngineGrammarTests {
    /// 100 tokens "t0"…"t99", except 20…29 = the digits "0"…"9" and 3 = EOS.
    static let vocabulary: TokenVocabulary = {
        var bytes = (0..<100).map { Array("t\($0)".utf8) }
        for d in 0..<10 { bytes[20 + d] = [UInt8(48 + d)] }
        bytes[3] = []
        return TokenVocabulary(tokenBytes: bytes, eosTokenIDs: [3], size: 100)
    }()

    static func start(_ executor: any ModelExecutor, grammar: Bool = true) async throws -> (EngineCore, Task<Void, Never>) {
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 64
        options.maxNumBatchedTokens = 32
        options.maxNumSeqs = 8
        options.maxModelLen = 256
        if grammar { options.makeGrammarCompiler = { _ in GrammarCompiler(vocabulary: Self.vocabulary) } }
        let started = try await EngineBootstrap.start(executor: executor, options: options)
        let engine = started.engine
        return (engine, Task { await engine.run() })
    }

    static func request(_ id: String, regex: String) -> EngineRequest {
        var p = SamplingParams()
        p.maxTokens = 10
        p.structuredOutputs = StructuredOutputsParams(kind: .regex, spec: regex)
        return EngineRequest(requestID: id, promptTokenIDs: [5, 6, 7], samplingParams: p, eosTokenID: 3)
    }

    static func allowed(_ step: SchedulerOutput, _ id: String) -> [TokenID]? {
        guard let g = step.grammar, let row = g.requestIDs.firstIndex(of: id) else { return nil }
        return (0..<100).map(TokenID.init).filter { g.allows($0, row: row) }
    }

    @Test("every step carries the request's mask; tokens advance it, and the request ends at EOS when complete")
    func masksFollowTheTokens() async throws {
        let runner = ScriptedRunner { id, i in id == "free" ? 50 : [21, 22, 23, 3][min(i, 3)] }
        let executor = RecordingExecutor(ScriptedExecutor(runner: runner, profile: EngineLoopTests.profile))
        let (engine, loop) = try await Self.start(executor)
        defer { loop.cancel() }
        let log = OutputLog()
        async let free: Void = engine.generate(EngineLoopTests.request("free", prompt: 4, maxTokens: 6)) { _ in }
        try await engine.generate(Self.request("g", regex: "[0-9]{3}")) { log.append($0) }
        try await free
        #expect(log.tokens == [21, 22, 23, 3])
        #expect(log.finish == .stop)
        let masks = executor.steps.compactMap { Self.allowed($0, "g") }
        let digits = (20...29).map(TokenID.init)
        #expect(masks == [digits, digits, digits, [3]])
        #expect(executor.steps.allSatisfy { $0.grammar?.requestIDs.contains("free") != true })
    }

    @Test("a token the grammar refuses ends the request with an error, without the bad token")
    func refusedTokenFails() async throws {
        let runner = ScriptedRunner { _, i in i == 0 ? 21 : 10 }
        let (engine, loop) = try await Self.start(ScriptedExecutor(runner: runner, profile: EngineLoopTests.profile))
        defer { loop.cancel() }
        let log = OutputLog()
        try await engine.generate(Self.request("g", regex: "[0-9]{3}")) { log.append($0) }
        #expect(log.tokens == [21])
        #expect(log.finish == .error)
        // The engine goes on serving.
        let after = OutputLog()
        try await engine.generate(EngineLoopTests.request("next", prompt: 4, maxTokens: 2)) { after.append($0) }
        #expect(after.finish == .length)
    }

    @Test("a constraint that does not compile, or no compiler at all, is refused before it is queued")
    func refusals() async throws {
        let (engine, loop) = try await Self.start(
            ScriptedExecutor(runner: ScriptedRunner(), profile: EngineLoopTests.profile))
        defer { loop.cancel() }
        await #expect {
            try await engine.generate(Self.request("bad", regex: "([0-9]")) { _ in }
        } throws: { error in
            guard case .invalid(let why) = error as? EngineRequestError else { return false }
            return why.hasPrefix("structured_outputs: syntax error")
        }
        let (plain, plainLoop) = try await Self.start(
            ScriptedExecutor(runner: ScriptedRunner(), profile: EngineLoopTests.profile), grammar: false)
        defer { plainLoop.cancel() }
        await #expect {
            try await plain.generate(Self.request("g", regex: "[0-9]")) { _ in }
        } throws: { error in
            guard case .invalid(let why) = error as? EngineRequestError else { return false }
            return why.contains("not enabled")
        }
    }

    @Test("a compile past the time limit fails its request; the grammar is cached once it finishes")
    func compileTimeLimit() async throws {
        let compiler = GrammarCompiler(vocabulary: Self.vocabulary, timeout: .nanoseconds(1))
        let constraint = StructuredOutputsParams(kind: .regex, spec: "([0-9]{2,40}x){1,30}")
        await #expect {
            _ = try await compiler.compile(constraint)
        } throws: { error in
            guard case .invalid(let why) = error as? EngineRequestError else { return false }
            return why.contains("did not compile within")
        }
        let patient = GrammarCompiler(vocabulary: Self.vocabulary)
        let first = try await patient.compile(constraint)
        #expect(try await patient.compile(constraint) === first)
    }
}
