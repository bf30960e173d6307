import ApusTestSupport
import Engine
import ServingCore
import Testing

@Suite("LoRA in the engine-core: start-up checks, request validation, max_loras over real steps")
struct EngineLoRATests {
    static func profile(maxLoRARank: Int) -> RunnerProfile {
        var p = EngineLoopTests.profile
        p.maxLoRARank = maxLoRARank
        return p
    }

    static func options(maxLoras: Int?) -> EngineBootstrap.Options {
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 64
        options.maxNumBatchedTokens = 32
        options.maxNumSeqs = 8
        options.maxModelLen = 256
        options.maxLoras = maxLoras
        return options
    }

    static func request(_ id: String, adapter: String?) -> EngineRequest {
        var r = EngineLoopTests.request(id, prompt: 12, maxTokens: 4)
        r.lora = adapter.map { LoRARequest(name: $0, path: "/adapters/\($0)") }
        return r
    }

    @Test("--enable-lora against a runner started without it is refused at start-up, naming the flag")
    func runnerWithoutLoRA() async throws {
        let executor = ScriptedExecutor(profile: Self.profile(maxLoRARank: 0))
        await #expect {
            _ = try await EngineBootstrap.start(executor: executor, options: Self.options(maxLoras: 1))
        } throws: { error in
            guard case .invalid(let why) = error as? EngineRequestError else { return false }
            return why.contains("started without --enable-lora")
        }
    }

    @Test("a request naming an adapter on an engine without LoRA is invalid; base requests are not affected")
    func adapterWithoutLoRA() async throws {
        let started = try await EngineBootstrap.start(
            executor: ScriptedExecutor(profile: Self.profile(maxLoRARank: 16)), options: Self.options(maxLoras: nil))
        #expect(throws: EngineRequestError.invalid(
            "LoRA adapter 'sql' requested, but this engine was started without --enable-lora")) {
            try started.engine.validate(Self.request("a", adapter: "sql"))
        }
        #expect(throws: Never.self) { try started.engine.validate(Self.request("b", adapter: nil)) }
    }

    @Test("with max_loras 1, requests of three adapters and the base model all complete")
    func adaptersTakeTurns() async throws {
        let started = try await EngineBootstrap.start(
            executor: ScriptedExecutor(profile: Self.profile(maxLoRARank: 16)), options: Self.options(maxLoras: 1))
        let engine = started.engine
        let loop = Task { await engine.run() }
        defer { loop.cancel() }
        let adapters: [String?] = ["A", "B", nil, "C", "A", "B"]
        let finishes = try await withThrowingTaskGroup(of: FinishReason?.self) { group in
            for (i, adapter) in adapters.enumerated() {
                group.addTask {
                    let sink = OutputLog()
                    try await engine.generate(Self.request("r\(i)", adapter: adapter)) { sink.append($0) }
                    return sink.finish
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(finishes.count == adapters.count && finishes.allSatisfy { $0 == .length })
    }
}
