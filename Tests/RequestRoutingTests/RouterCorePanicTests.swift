import RequestRouting
import Testing

@Suite("RouterCore panic mode")
struct RouterCorePanicTests {
    /// Four ready engines, e0 passively ejected by five transport errors at t = 1.
    static func routerWithEjectedE0(_ policy: PolicyKind = .roundRobin) -> RouterCore {
        var router = RouterCoreTests.router(policy)
        for _ in 0..<5 { _ = router.handle(.transportError, for: "e0", now: 1) }
        #expect(router.listBackends()[0].blockReason == .transportErrors)
        return router
    }

    static func request(_ id: String) -> RoutingRequest { RoutingRequest(requestID: id) }

    @Test("a ready engine always wins: panic mode waits until none is left")
    func readyEnginesFirst() {
        var router = Self.routerWithEjectedE0()
        for index in 0..<12 { #expect(router.routed(Self.request("r\(index)"), now: 2) != "e0") }
        #expect(router.stats.panicDispatches == 0)
    }

    @Test("with every engine out and one only passively ejected, requests go to that one instead of failing",
        arguments: PolicyKind.allCases)
    func panicUsesPassivelyEjected(policy: PolicyKind) {
        var router = Self.routerWithEjectedE0(policy)
        _ = router.handle(.watch(.notServing), for: "e1", now: 2)
        _ = router.drain("e2", now: 2)
        for _ in 0..<3 { _ = router.handle(.checkFailed, for: "e3", now: 2) }
        #expect(router.canDispatch)
        for index in 0..<5 { #expect(router.routed(Self.request("p\(index)"), now: 3) == "e0") }
        #expect(router.stats.panicDispatches == 5)
        #expect(router.listBackends()[0].state == .notReady, "panic does not re-admit the engine")
    }

    @Test("panic never uses NOT_SERVING, failing, hung, pending or draining engines")
    func panicExcludesOtherStates() {
        var router = Self.routerWithEjectedE0()
        _ = router.handle(.watch(.notServing), for: "e0", now: 2)
        _ = router.handle(.watch(.notServing), for: "e1", now: 2)
        _ = router.drain("e2", now: 2)
        _ = router.removeBackend("e3")
        _ = try! router.addBackend("e3", now: 2)
        #expect(!router.canDispatch)
        #expect(throws: RoutingError.noEngineAvailable) { try router.route(Self.request("x"), now: 3) }
        #expect(router.stats.panicDispatches == 0)
    }

    @Test("a retry with no ready engine left panics onto an untried passively ejected engine")
    func retryPanics() {
        var router = Self.routerWithEjectedE0()
        for engine in ["e2", "e3"] as [EngineID] { _ = router.handle(.watch(.notServing), for: engine, now: 2) }
        let request = Self.request("a")
        #expect(router.routed(request, now: 3) == "e1")
        #expect(router.finish(request, outcome: .unavailable, now: 4).decision == .retry(on: "e0", previous: "e1"))
        #expect(router.finish(request, outcome: .unavailable, now: 5).decision == .fail, "no engine left to try")
        #expect(router.stats.panicDispatches == 1)
    }
}
