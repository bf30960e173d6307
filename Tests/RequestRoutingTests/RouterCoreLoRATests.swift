import RequestRouting
import Synchronization
import Testing

@Suite("RouterCore with LoRA adapter affinity")
struct RouterCoreLoRATests {
    static let sql = AdapterIndex.key("sql")

    static func router(
        _ engines: [EngineID] = RouterCoreTests.engines, _ configure: (inout RouterConfig) -> Void = { _ in }
    ) -> RouterCore {
        var config = RouterConfig(policy: .leastLoaded)
        configure(&config)
        var router = try! RouterCore(config: config)
        for engine in engines {
            _ = try! router.addBackend(engine, now: 0)
            _ = router.handle(.checkSucceeded, for: engine, now: 0)
        }
        return router
    }

    static func request(_ id: String, _ lora: String? = "sql") -> RoutingRequest {
        RoutingRequest(requestID: id, loraName: lora)
    }

    @Test("an adapter's requests follow it to the engine that ran it until that engine reaches the load cap")
    func followsTheAdapter() {
        var router = Self.router()
        let first = router.routed(Self.request("a"), now: 1)!
        // In flight [1, 0, 0, 0]: cap 2, so the holder takes the second request over three idle engines.
        #expect(router.routed(Self.request("b"), now: 2) == first)
        // [2, 0, 0, 0]: the holder is at the cap; least_loaded places the third, and that engine becomes a holder.
        let third = router.routed(Self.request("c"), now: 3)!
        #expect(third != first)
        #expect(router.stats.loraAffinityHits == 1 && router.stats.loraAffinityMisses == 2)
        #expect(router.adapterIndex.holders(of: Self.sql).nonzeroBitCount == 2)
        _ = router.finish(Self.request("a"), outcome: .completed, now: 4)
        _ = router.finish(Self.request("b"), outcome: .completed, now: 4)
        // [0, 1, 0, 0] with the first holder idle again: it wins over the two idle non-holders.
        #expect(router.routed(Self.request("d"), now: 5) == first)
        #expect(router.stats.loraAffinityHits == 2)
    }

    @Test("requests without an adapter are routed as without affinity, and leave the index alone")
    func baseModelUnchanged() {
        var with = Self.router()
        var without = Self.router { $0.loraAffinity.enabled = false }
        _ = with.routed(Self.request("warm"), now: 0)
        _ = without.routed(Self.request("warm"), now: 0)
        for index in 0..<40 {
            let request = Self.request("r\(index)", nil)
            #expect(with.routed(request, now: 1) == without.routed(request, now: 1))
            if index % 3 == 0 {
                _ = with.finish(request, outcome: .completed, now: 2)
                _ = without.finish(request, outcome: .completed, now: 2)
            }
        }
        #expect(with.adapterIndex.count == 1)
        #expect(with.stats.loraAffinityHits + with.stats.loraAffinityMisses == 1)
    }

    @Test("with affinity off, adapter requests go where the base policy sends them and nothing is recorded")
    func affinityOff() {
        var router = Self.router { $0.loraAffinity.enabled = false }
        let chosen = (0..<4).map { router.routed(Self.request("r\($0)"), now: 1)! }
        #expect(Set(chosen).count == 4, "least_loaded spreads them although they share an adapter")
        #expect(router.adapterIndex.count == 0)
        #expect(router.stats.loraAffinityHits == 0 && router.stats.loraAffinityMisses == 0)
    }

    @Test("the core feeds the index with K distinct adapters per engine, K from the config")
    func configuredK() {
        var router = Self.router(["e0"]) { $0.loraAffinity.adaptersPerEngine = 2 }
        for (index, name) in ["x", "y", "x", "z"].enumerated() {
            _ = router.routed(Self.request("r\(index)", name), now: UInt64(index))
        }
        let slot = router.backends["e0"]!.slot
        #expect(router.adapterIndex.adapters(slot: slot) == [AdapterIndex.key("x"), AdapterIndex.key("z")])
    }

    @Test("on a miss the base policy sees only engines whose next load evicts no adapter's last copy")
    func missesGoWhereThereIsRoom() throws {
        let seen = Seen()
        var config = RouterConfig()
        config.loraAffinity.adaptersPerEngine = 1
        var router = try RouterCore(config: config, policy: FirstCandidate(seen: seen))
        for engine in ["e0", "e1", "e2"] as [EngineID] {
            _ = try router.addBackend(engine, now: 0)
            _ = router.handle(.checkSucceeded, for: engine, now: 0)
        }
        #expect(router.routed(Self.request("r1", "x"), now: 1) == "e0")
        // e0 holds only x, and x nowhere else: loading y there would lose x.
        #expect(router.routed(Self.request("r2", "y"), now: 2) == "e1")
        #expect(router.routed(Self.request("r3", "x"), now: 3) == "e0", "a holder under the cap: no base decision")
        #expect(seen.lists == [["e0", "e1", "e2"], ["e1", "e2"]])
    }

    @Test("an engine that leaves is forgotten: a newcomer in its slot holds nothing, a restored one neither")
    func membershipForgets() throws {
        var router = Self.router()
        let holder = router.routed(Self.request("a"), now: 1)!
        let slot = router.backends[holder]!.slot
        _ = router.removeBackend(holder)
        #expect(router.adapterIndex.holders(of: Self.sql) == 0)
        _ = try router.addBackend("newcomer", now: 2)
        _ = router.handle(.checkSucceeded, for: "newcomer", now: 2)
        #expect(router.backends["newcomer"]!.slot == slot)
        _ = router.routed(Self.request("b"), now: 3)
        #expect(router.stats.loraAffinityMisses == 2)

        var dns = try RouterCore(config: RouterConfig(policy: .leastLoaded))
        _ = try dns.reconcile(origin: "svc", resolved: ["10.0.0.1:1", "10.0.0.2:1"], now: 0)
        for id in ["10.0.0.1:1", "10.0.0.2:1"] as [EngineID] { _ = dns.handle(.checkSucceeded, for: id, now: 0) }
        let first = dns.routed(Self.request("x"), now: 1)!
        let other: EngineID = first == "10.0.0.1:1" ? "10.0.0.2:1" : "10.0.0.1:1"
        _ = try dns.reconcile(origin: "svc", resolved: [other], now: 2)
        #expect(dns.adapterIndex.holders(of: Self.sql) != 0, "a draining engine still holds its adapters")
        #expect(try dns.reconcile(origin: "svc", resolved: [first, other], now: 3).restored == [first])
        #expect(dns.adapterIndex.holders(of: Self.sql) == 0)
    }

    @Test("adapters per engine outside 1...1024 are refused up front, naming the setting")
    func validation() {
        for bad in [0, -1, 1_025] {
            var config = RouterConfig()
            config.loraAffinity.adaptersPerEngine = bad
            #expect(throws: RouterConfigError.self) { try config.validate() }
            #expect(throws: RouterConfigError.self) { try RouterCore(config: config) }
            #expect((config.loraAffinity.validationMessage ?? "").contains("adaptersPerEngine"))
        }
        #expect(RouterConfig().loraAffinity == AdapterAffinityConfig(enabled: true, adaptersPerEngine: 4))
    }
}

extension AdapterAffinityConfig {
    fileprivate var validationMessage: String? {
        do { try validate() } catch { return error.description }
        return nil
    }
}

/// A base policy that takes the first candidate and records the candidates it was offered.
private struct FirstCandidate: RoutingPolicy {
    let name = "first"
    let usesPrefixMatch = false
    let seen: Seen

    mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        seen.append(candidates.map(\.id))
        return 0
    }
}

private final class Seen: Sendable {
    private let storage = Mutex<[[EngineID]]>([])
    var lists: [[EngineID]] { storage.withLock { $0 } }
    func append(_ list: [EngineID]) { storage.withLock { $0.append(list) } }
}
