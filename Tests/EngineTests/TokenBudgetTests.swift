import ApusTestSupport
import Testing

@testable import Engine

@Suite("Token budget from the runners' speed")
struct TokenBudgetTests {
    static func speed(msPerToken: Double, decodeMs: Double) -> StepSpeed {
        StepSpeed(prefillTokenSeconds: msPerToken / 1000, decodeStepSeconds: decodeMs / 1000, decodeBatch: 32)
    }

    @Test("a runner fast enough for vLLM's 2048 tokens per step keeps them")
    func fastKeepsCap() {
        #expect(TokenBudget.choose(speeds: [Self.speed(msPerToken: 0.1, decodeMs: 20)], blockSize: 16) == 2048)
    }

    @Test("a slow runner gets the largest block multiple whose step fits the target")
    func slowShrinks() {
        // (3 s − 40 ms) / 2 ms per token = 1480 tokens → 1472, a multiple of 16.
        #expect(TokenBudget.choose(speeds: [Self.speed(msPerToken: 2, decodeMs: 40)], blockSize: 16) == 1472)
        // (3 s − 40 ms) / 2.5 ms = 1184, a multiple of 32.
        #expect(TokenBudget.choose(speeds: [Self.speed(msPerToken: 2.5, decodeMs: 40)], blockSize: 32) == 1184)
        // The 100M Llama on 2 CPU cores (1.02 ms per token, 49 ms decode steps) keeps the cap.
        #expect(TokenBudget.choose(speeds: [Self.speed(msPerToken: 1.02, decodeMs: 49)], blockSize: 16) == 2048)
    }

    @Test("a very slow runner never goes below the floor")
    func floor() {
        #expect(TokenBudget.choose(speeds: [Self.speed(msPerToken: 20, decodeMs: 900)], blockSize: 16) == 256)
        #expect(TokenBudget.choose(speeds: [Self.speed(msPerToken: 20, decodeMs: 4000)], blockSize: 16) == 256)
    }

    @Test("pipeline stages add their times; a runner without a measurement leaves the cap")
    func stagesAndUnknown() {
        let half = Self.speed(msPerToken: 1, decodeMs: 20)
        #expect(TokenBudget.choose(speeds: [half, half], blockSize: 16) == 1472)
        #expect(TokenBudget.choose(speeds: [half, nil], blockSize: 16) == 2048)
        #expect(TokenBudget.choose(speeds: [], blockSize: 16) == 2048)
    }
}

@Suite("Engine bootstrap applies the token budget")
struct EngineBootstrapBudgetTests {
    static func started(speed: StepSpeed?, flag: Int?, chunkedPrefill: Bool = true, maxNumSeqs: Int = 256)
        async throws -> Int
    {
        var profile = EngineLoopTests.profile
        profile.speed = speed
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 64
        options.maxModelLen = 256
        options.maxNumBatchedTokens = flag
        options.enableChunkedPrefill = chunkedPrefill
        options.maxNumSeqs = maxNumSeqs
        let started = try await EngineBootstrap.start(executor: ScriptedExecutor(profile: profile), options: options)
        #expect(started.engine.configuration.scheduler.maxNumBatchedTokens == started.maxNumBatchedTokens)
        return started.maxNumBatchedTokens
    }

    @Test("no flag: chosen from the runner's speed; the flag wins; without chunked prefill the cap stays")
    func choice() async throws {
        let slow = TokenBudgetTests.speed(msPerToken: 2, decodeMs: 40)
        #expect(try await Self.started(speed: slow, flag: nil) == 1472)
        #expect(try await Self.started(speed: slow, flag: 300) == 300)
        // Never below max_num_seqs (one decode token of every running sequence).
        let crawl = TokenBudgetTests.speed(msPerToken: 50, decodeMs: 40)
        #expect(try await Self.started(speed: crawl, flag: nil) == 256)
        #expect(try await Self.started(speed: crawl, flag: nil, maxNumSeqs: 400) == 400)
        #expect(try await Self.started(speed: nil, flag: nil) == 2048)
        #expect(try await Self.started(speed: slow, flag: nil, chunkedPrefill: false) == 2048)
    }
}
