import Testing
import Wire

@testable import RequestRouting

@Suite("Router service: retry budget and restarted engines", .serialized)
struct RouterServiceResilienceTests {
    @Test("a retry the budget refuses fails at once with UNAVAILABLE naming the engine, and is counted")
    func budgetRefusalFails() async throws {
        var failing = ScriptedEngine.Script()
        failing.failEvery = 1
        let engines = [ScriptedEngine.inProcess("e0", failing), ScriptedEngine.inProcess("e1")]
        let router = try await RouterHarness(engines, policy: .roundRobin) {
            $0.core.retryBudget = RetryBudget(retryBudgetPercent: 0, minRetryConcurrency: 0)
        }
        var refused = 0
        for index in 0..<4 {
            let (outputs, error) = await router.generate("b\(index)")
            if let error {
                refused += 1
                #expect(outputs.isEmpty)
                #expect(error.code == .unavailable)
                #expect(error.message.contains(engines[0].address), "\(error.message)")
                #expect(error.message.contains("no runner available"), "the original error: \(error.message)")
            } else {
                #expect(outputs.last?.engineID == "e1")
            }
        }
        #expect(refused == 2)
        #expect(engines[1].received.count == 2, "no refused request reached the second engine")
        let text = router.service.metrics.registry.emitToString()
        #expect(text.contains("apus:router_retries_budget_exhausted_total 2"), "\(text)")
        await router.stop()
    }

    @Test("a lone engine that is passively ejected still gets requests in panic mode, and the router stays SERVING")
    func panicKeepsServing() async throws {
        var timingOut = ScriptedEngine.Script()
        timingOut.failEvery = 1
        timingOut.failure = RPCError(.deadlineExceeded, "scripted timeout")
        let solo = ScriptedEngine.inProcess("solo", timingOut)
        let router = try await RouterHarness([solo])
        for index in 0..<5 { #expect(await router.generate("t\(index)").error?.code == .unavailable) }
        try await router.waitUntil("the engine is ejected") { try await router.state(of: solo) == .notReady }
        let status = try await router.client.unary(
            HealthService.checkMethod, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckResponse.self
        ).status
        #expect(status == .serving, "panic mode can still place requests")
        solo.update { $0.failEvery = 0 }
        let (outputs, error) = await router.generate("panic")
        #expect(error == nil)
        #expect(outputs.last?.finishReason == .length)
        #expect(try await router.state(of: solo) == .notReady, "panic does not end the ejection")
        try await router.waitUntil("the panic dispatch is counted") {
            router.service.metrics.registry.emitToString().contains("apus:router_panic_dispatches_total 1")
        }
        await router.stop()
    }

    @Test("an engine that restarts while passively ejected is back at its first SERVING, not after the ejection")
    func restartEndsEjection() async throws {
        var timingOut = ScriptedEngine.Script()
        timingOut.failEvery = 1
        timingOut.failure = RPCError(.deadlineExceeded, "scripted timeout")
        let flaky = try await ScriptedEngine.start("flaky", timingOut)
        let steady = try await ScriptedEngine.start("steady")
        let router = try await RouterHarness([flaky, steady], policy: .roundRobin) {
            $0.core.health.baseEjectionTime = 60_000_000_000
            $0.core.health.maxEjectionTime = 60_000_000_000
        }
        defer { steady.stop() }
        var index = 0
        while try await router.state(of: flaky) == .ready, index < 40 {
            #expect(await router.generate("t\(index)").error == nil, "timeouts are retried on the steady engine")
            index += 1
        }
        let ejected = try await router.backends().first { $0.address == flaky.address }
        #expect(ejected?.state == .notReady)

        flaky.stop()
        var restarted: ScriptedEngine?
        for _ in 0..<50 where restarted == nil {
            restarted = try? await ScriptedEngine.start("flaky-2", host: flaky.host, port: flaky.port)
            if restarted == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let fresh = try #require(restarted)
        defer { fresh.stop() }
        try await router.waitUntil("the restarted engine is ready", timeout: .seconds(8)) {
            try await router.state(of: fresh) == .ready
        }
        for later in 0..<4 { #expect(await router.generate("after\(later)").error == nil) }
        #expect(fresh.received.count == 2, "the new process takes its share again")
        await router.stop()
    }
}
