import RequestRouting
import Testing

@Suite("RouterCore")
struct RouterCoreTests {
    static let engines: [EngineID] = ["e0", "e1", "e2", "e3"]

    /// A router with four ready engines.
    static func router(_ policy: PolicyKind = .prefixAware, _ configure: (inout RouterConfig) -> Void = { _ in })
        -> RouterCore
    {
        var config = RouterConfig(policy: policy)
        configure(&config)
        var router = try! RouterCore(config: config)
        for engine in engines {
            #expect(try! router.addBackend(engine, now: 0) == [.startProbing])
            #expect(router.handle(.checkSucceeded, for: engine, now: 0) == [.admit])
        }
        return router
    }

    static func request(_ id: String, blocks: [BlockHashKey] = []) -> RoutingRequest {
        RoutingRequest(requestID: id, blockHashes: blocks)
    }

    @Test("a NOT_SERVING watch event stops dispatch to that engine at the very next decision")
    func notServingStopsDispatchAtOnce() {
        var router = Self.router(.roundRobin)
        #expect(router.handle(.watch(.notServing), for: "e2", now: 10) == [.eject(.notServing), .startProbing])
        for index in 0..<40 {
            #expect(router.routed(Self.request("r\(index)"), now: 11) != "e2")
        }
    }

    @Test("pending, draining and failed engines are never chosen; none ready means no engine")
    func onlyReadyEnginesAreChosen() {
        var router = try! RouterCore(config: RouterConfig(policy: .leastLoaded))
        _ = try! router.addBackend("e0", now: 0)
        #expect(throws: RoutingError.noEngineAvailable) { try router.route(Self.request("a"), now: 1) }
        _ = router.handle(.checkSucceeded, for: "e0", now: 1)
        #expect(router.routed(Self.request("b"), now: 2) == "e0")
        #expect(throws: RoutingError.duplicateRequestID("b")) { try router.route(Self.request("b"), now: 2) }
        #expect(router.drain("e0", now: 3) == [.eject(.draining)])
        #expect(router.routed(Self.request("c"), now: 4) == nil)
        #expect(router.ledger.inFlight(on: "e0") == 1, "draining engines finish their requests")
        #expect(router.tick(now: 5).drained == [])
        _ = router.finish(Self.request("b"), outcome: .completed, now: 6)
        #expect(router.tick(now: 7).drained == ["e0"])
    }

    @Test("a hung engine is excluded once the configured window has passed")
    func hungEngineExcluded() {
        var router = Self.router(.leastLoaded) { $0.health.hungAfter = 1_000 }
        for engine in Self.engines {
            _ = router.updateLoad(EngineLoad(running: 1, stepCounter: 5), for: engine, now: 0)
        }
        for engine in ["e0", "e1", "e3"] as [EngineID] {
            _ = router.updateLoad(EngineLoad(running: 1, stepCounter: 6), for: engine, now: 900)
        }
        #expect(router.tick(now: 999).health.isEmpty)
        #expect(
            router.tick(now: 1_000).health == [
                EngineHealthAction(engine: "e2", action: .eject(.hung)),
                EngineHealthAction(engine: "e2", action: .startProbing),
            ])
        for index in 0..<20 { #expect(router.routed(Self.request("r\(index)"), now: 1_001) != "e2") }
    }

    @Test("a transport error before the first token retries on another engine; after it, the request fails")
    func retryRules() {
        var router = Self.router(.roundRobin) { $0.maxAttempts = 3 }
        let request = Self.request("a")
        let first = router.routed(request, now: 0)!
        let result = router.finish(request, outcome: .transportError, now: 1)
        guard case .retry(let second, let previous) = result.decision else {
            Issue.record("expected a retry, got \(result.decision)")
            return
        }
        #expect(second != first && previous == first)
        #expect(router.ledger.inFlight(on: first) == 0 && router.ledger.inFlight(on: second) == 1)
        router.markFirstTokenSent(requestID: "a")
        #expect(router.finish(request, outcome: .timedOut, now: 2).decision == .fail)
        #expect(router.ledger.totalInFlight == 0)
    }

    @Test("attempts are bounded and never repeat an engine")
    func boundedAttempts() {
        var router = Self.router(.leastLoaded) { $0.maxAttempts = 3 }
        let request = Self.request("a")
        var seen = [router.routed(request, now: 0)!]
        for _ in 0..<2 {
            guard case .retry(let next, _) = router.finish(request, outcome: .unavailable, now: 1).decision else {
                Issue.record("expected a retry")
                return
            }
            seen.append(next)
        }
        #expect(Set(seen).count == 3)
        #expect(router.finish(request, outcome: .transportError, now: 2).decision == .fail)
        #expect(router.ledger.count == 0)
    }

    @Test("client errors and cancellations never count against the engine")
    func clientErrorsDoNotEject() {
        var router = Self.router(.roundRobin)
        for index in 0..<50 {
            let request = Self.request("r\(index)")
            _ = router.routed(request, now: 0)
            let outcome: RequestOutcome = index.isMultiple(of: 2) ? .clientError : .cancelled
            #expect(router.finish(request, outcome: outcome, now: 1) == FinishResult(decision: .done, health: []))
        }
        #expect(router.listBackends().allSatisfy { $0.state == .ready })
    }

    @Test("five transport errors in a row eject the engine and report when it may come back")
    func passiveEjection() {
        var router = Self.router(.roundRobin) {
            $0.maxAttempts = 1
            $0.health.ejectionJitterPercent = 0
        }
        _ = router.handle(.watch(.notServing), for: "e1", now: 0)
        _ = router.handle(.watch(.notServing), for: "e2", now: 0)
        _ = router.handle(.watch(.notServing), for: "e3", now: 0)
        var actions: [EngineHealthAction] = []
        for index in 0..<5 {
            let request = Self.request("r\(index)")
            #expect(router.routed(request, now: 10) == "e0")
            actions += router.finish(request, outcome: .transportError, now: 10).health
        }
        #expect(actions.map(\.action) == [.eject(.transportErrors), .startProbing, .readmitAfter(10 + 30_000_000_000)])
        #expect(router.listBackends()[0].state == .notReady)
        // Panic mode (docs/architecture.md §8.5): with nothing ready, the engine that is only passively ejected
        // still gets requests.
        #expect(router.routed(Self.request("x"), now: 11) == "e0")
    }

    @Test("prefix aware inserts speculatively, so a burst of one prefix lands on one engine up to the load cap")
    func speculativeBurst() {
        var router = Self.router(.prefixAware)
        for index in 0..<16 { _ = router.routed(Self.request("background\(index)"), now: 0) }
        #expect(Self.engines.allSatisfy { router.ledger.inFlight(on: $0) == 4 })
        let blocks = SimHashes.chain(SimHashes.contents(3, count: 20))
        let first = router.routed(Self.request("b0", blocks: blocks), now: 0)!
        for index in 1..<3 {
            #expect(router.routed(Self.request("b\(index)", blocks: blocks), now: 1) == first)
        }
        // 7 in flight on `first` now, over 1.25 · 4.75 + 1: the next one spills.
        #expect(router.routed(Self.request("b3", blocks: blocks), now: 1) != first)
        _ = router.tick(now: 3_000_000_000)
        #expect(router.prefixIndex.count == 0, "unconfirmed speculative entries expire")
    }

    @Test("KV events route a prefix to its holder, and a reconnect forgets the holder's entries")
    func kvEventsDriveRouting() {
        var router = Self.router(.prefixAware)
        let blocks = SimHashes.chain(SimHashes.contents(4, count: 20))
        #expect(router.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(blocks)]), from: "e3") == .applied)
        #expect(router.routed(Self.request("a", blocks: blocks), now: 0) == "e3")
        #expect(router.kvStreamReconnected("e3") == .resubscribe(fromSequence: 0))
        #expect(router.listBackends()[3].indexedBlocks == 0)
        #expect(router.apply(KVEventBatch(firstSequence: 1, events: []), from: "nobody") == nil)
    }

    @Test("removing an engine detaches its requests, whose finish retries them without a double decrement")
    func removalDetaches() {
        var router = Self.router(.roundRobin)
        let requests = (0..<8).map { Self.request("r\($0)") }
        for request in requests { _ = router.routed(request, now: 0) }
        let detached = router.removeBackend("e1")
        #expect(detached == ["r1", "r5"])
        #expect(router.ledger.inFlight(on: "e1") == 0)
        for id in detached {
            let decision = router.finish(Self.request(id), outcome: .transportError, now: 1).decision
            if case .retry(let engine, let previous) = decision {
                #expect(engine != "e1" && previous == nil)
            } else {
                Issue.record("expected a retry, got \(decision)")
            }
        }
        for request in requests { _ = router.finish(request, outcome: .completed, now: 2) }
        #expect(router.ledger.count == 0 && router.ledger.totalInFlight == 0)
        #expect(router.listBackends().map(\.id) == ["e0", "e2", "e3"])
    }

    @Test("re-resolution adds new addresses, drains vanished ones and restores ones that come back")
    func reconcile() {
        var router = try! RouterCore(config: RouterConfig())
        var change = try! router.reconcile(origin: "engines.svc", resolved: ["a", "b"], now: 0)
        #expect(change == MembershipChange(added: ["a", "b"]))
        change = try! router.reconcile(origin: "engines.svc", resolved: ["b", "c"], now: 1)
        #expect(change == MembershipChange(added: ["c"], drained: ["a"]))
        #expect(router.listBackends().map(\.state) == [.draining, .pending, .pending])
        change = try! router.reconcile(origin: "engines.svc", resolved: ["a", "b", "c"], now: 2)
        #expect(change == MembershipChange(restored: ["a"]))
        #expect(router.listBackends()[0].state == .pending)
        _ = try! router.addBackend("static", now: 3)
        #expect(try! router.reconcile(origin: "engines.svc", resolved: [], now: 4).drained == ["a", "b", "c"])
        #expect(router.listBackends().last?.state == .pending, "a static backend is not the name's to drain")
    }

    @Test("a bad configuration is refused up front")
    func invalidConfig() {
        var config = RouterConfig()
        config.maxAttempts = 0
        #expect(throws: RouterConfigError.self) { try RouterCore(config: config) }
        config = RouterConfig()
        config.prefixAware.loadWeight = -1
        #expect(throws: RouterConfigError.self) { try RouterCore(config: config) }
    }
}
