import Testing
import Wire

@testable import RequestRouting

@Suite("Router service: dispatch and engine health", .serialized)
struct RouterServiceHealthTests {
    @Test("requests spread over the engines and stream every output through")
    func requestsSpread() async throws {
        let engines = [ScriptedEngine.inProcess("e0"), ScriptedEngine.inProcess("e1")]
        let router = try await RouterHarness(engines, policy: .roundRobin)
        for index in 0..<20 {
            let (outputs, error) = await router.generate("r\(index)")
            #expect(error == nil)
            #expect(outputs.flatMap(\.newTokenIDs) == [0, 1, 2])
            #expect(outputs.last?.finishReason == .length)
        }
        #expect(engines.map(\.received.count) == [10, 10])
        #expect(try await router.backends().map(\.inFlight) == [0, 0])
        await router.stop()
    }

    @Test("a Health.Watch change to NOT_SERVING stops dispatch to that engine within 100 ms")
    func watchStopsDispatch() async throws {
        let engines = [ScriptedEngine.inProcess("e0"), ScriptedEngine.inProcess("e1")]
        let router = try await RouterHarness(engines, policy: .roundRobin) {
            $0.healthCheckInterval = .seconds(30)  // only the watch can tell
        }
        let changed = ContinuousClock.now
        engines[1].health.setStatus(.notServing)
        try await router.waitUntil("e1 is excluded") { try await router.state(of: engines[1]) == .notReady }
        let excludedAfter = changed.duration(to: .now)  // includes up to 10 ms of polling
        #expect(excludedAfter < .milliseconds(100), "excluded after \(excludedAfter)")
        for index in 0..<20 {
            let (outputs, error) = await router.generate("w\(index)")
            #expect(error == nil)
            #expect(outputs.last?.engineID == "e0")
        }
        #expect(engines[1].received.isEmpty)
        #expect(try await router.state(of: engines[1]) == .notReady)
        engines[1].health.setStatus(.serving)
        try await router.waitUntil("e1 is back") { try await router.state(of: engines[1]) == .ready }
        await router.stop()
    }

    @Test("the router's own Health is SERVING while at least one engine is ready")
    func routerHealthFollowsEngines() async throws {
        let engines = [ScriptedEngine.inProcess("e0"), ScriptedEngine.inProcess("e1")]
        let router = try await RouterHarness(engines)
        let check = { @Sendable () async throws -> ApusV1.ServingStatus in
            try await router.client.unary(
                HealthService.checkMethod, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckResponse.self
            ).status
        }
        #expect(try await check() == .serving)
        engines[0].health.setStatus(.notServing)
        try await router.waitUntil("e0 is out") { try await router.state(of: engines[0]) == .notReady }
        #expect(try await check() == .serving)
        engines[1].health.setStatus(.notServing)
        try await router.waitUntil("the router is not serving") { try await check() == .notServing }
        #expect(await router.generate("none").error?.code == .unavailable)
        engines[1].health.setStatus(.serving)
        try await router.waitUntil("the router serves again") { try await check() == .serving }
        await router.stop()
    }

    @Test("a frozen engine (step counter still, streams stalled) is excluded within 3 s and its streams end")
    func frozenEngineExcluded() async throws {
        var slow = ScriptedEngine.Script()
        slow.tokens = 10_000
        slow.outputInterval = .milliseconds(10)
        let engines = [try await ScriptedEngine.start("e0", slow), try await ScriptedEngine.start("e1", slow)]
        let router = try await RouterHarness(engines, policy: .roundRobin)
        defer { engines.forEach { $0.stop() } }
        let streams = (0..<4).map { index in Task { await router.generate("long\(index)") } }
        try await router.waitUntil("both engines stream") { engines.allSatisfy { $0.liveCount == 2 } }
        try await Task.sleep(for: .milliseconds(200))
        let frozenAt = ContinuousClock.now
        engines[0].freeze()
        try await router.waitUntil("e0 is excluded", timeout: .seconds(4)) {
            try await router.state(of: engines[0]) != .ready
        }
        let excludedAfter = frozenAt.duration(to: .now)
        #expect(excludedAfter < .seconds(3), "excluded after \(excludedAfter)")
        for index in 0..<6 {
            let request = Task { await router.generate("after\(index)") }
            try await Task.sleep(for: .milliseconds(20))
            request.cancel()
        }
        #expect(!engines[0].received.contains { $0.hasPrefix("after") })
        // Streams on the frozen engine had output: they end with a clear error, not a hang.
        engines[1].stop()
        for stream in streams {
            let (outputs, _) = await stream.value
            let last = try #require(outputs.last)
            if last.engineID == "e0" || outputs.first?.engineID == "e0" {
                #expect(last.finishReason == .error)
                #expect(last.errorMessage.contains(engines[0].address))
            }
        }
        engines[0].thaw()
        await router.stop()
    }
}
