import RequestRouting
import Testing

@Suite("Routing policies")
struct PolicyTests {
    static func candidates(inFlight: [Int], matched: [Int]? = nil) -> [EngineCandidate] {
        inFlight.enumerated().map { index, count in
            EngineCandidate(
                id: EngineID("e\(index)"), slot: index, inFlight: count, matchedBlocks: matched?[index] ?? 0)
        }
    }

    static let request = RoutingRequest(requestID: "r")

    @Test("round robin visits the candidates in order and wraps")
    func roundRobinOrder() {
        var policy = RoundRobinPolicy()
        let list = Self.candidates(inFlight: [5, 0, 9])
        #expect((0..<7).map { _ in policy.choose(for: Self.request, among: list) } == [0, 1, 2, 0, 1, 2, 0])
    }

    @Test("least loaded picks the least loaded, counting engine reports and the router's in-flight")
    func leastLoadedPicksLeast() {
        var policy = LeastLoadedPolicy()
        #expect(policy.choose(for: Self.request, among: Self.candidates(inFlight: [4, 2, 7])) == 1)
        var list = Self.candidates(inFlight: [1, 1, 1])
        list[0] = EngineCandidate(id: "e0", load: EngineLoad(waiting: 3, running: 4), inFlight: 1)
        list[2] = EngineCandidate(id: "e2", load: EngineLoad(running: 1, kvUsage: 0.9), inFlight: 1)
        #expect(policy.choose(for: Self.request, among: list) == 1)
    }

    @Test("least loaded spreads ties instead of piling onto the first engine")
    func leastLoadedRotatesTies() {
        var policy = LeastLoadedPolicy()
        let list = Self.candidates(inFlight: [0, 0, 0, 0])
        #expect(Set((0..<4).map { _ in policy.choose(for: Self.request, among: list) }).count == 4)
    }

    @Test("power of two is deterministic for a seed and never picks the more loaded of its two draws")
    func powerOfTwo() {
        var first = PowerOfTwoPolicy(seed: 9)
        var second = PowerOfTwoPolicy(seed: 9)
        let list = Self.candidates(inFlight: [0, 1, 2, 3, 4, 5, 6, 7])
        let picks = (0..<200).map { _ in first.choose(for: Self.request, among: list) }
        #expect(picks == (0..<200).map { _ in second.choose(for: Self.request, among: list) })
        #expect(!picks.contains(7), "the most loaded engine loses every pairing")
        #expect(picks.filter { $0 == 0 }.count > picks.filter { $0 == 6 }.count)
        #expect(first.choose(for: Self.request, among: Self.candidates(inFlight: [3])) == 0)
    }

    @Test("prefix aware picks the engine with the longest match when loads are close")
    func prefixAwarePicksHolder() {
        var policy = PrefixAwarePolicy()
        #expect(
            policy.choose(for: Self.request, among: Self.candidates(inFlight: [3, 4, 3], matched: [0, 20, 2])) == 1)
    }

    @Test("prefix aware skips a holder above (1 + ε) · mean + 1 in flight")
    func prefixAwareCap() {
        var policy = PrefixAwarePolicy()
        // mean 5, cap 1.25 · 5 + 1 = 7.25: 8 in flight is over it.
        #expect(
            policy.choose(for: Self.request, among: Self.candidates(inFlight: [8, 4, 3], matched: [50, 0, 0])) == 2)
        #expect(
            policy.choose(for: Self.request, among: Self.candidates(inFlight: [7, 4, 4], matched: [50, 0, 0])) == 0)
    }

    @Test("prefix aware sends work to a starved engine even though others hold the prefix")
    func prefixAwareFeedsStarved() {
        var policy = PrefixAwarePolicy()
        // mean 12, starved below 0.5 · 12 − 1 = 5.
        #expect(
            policy.choose(for: Self.request, among: Self.candidates(inFlight: [14, 14, 4], matched: [32, 32, 0])) == 2)
    }

    @Test("prefix aware without any match is least loaded")
    func prefixAwareWithoutMatch() {
        var prefix = PrefixAwarePolicy()
        var least = LeastLoadedPolicy()
        let list = Self.candidates(inFlight: [3, 1, 2, 5])
        #expect(prefix.choose(for: Self.request, among: list) == least.choose(for: Self.request, among: list))
    }

    @Test("session keeps a key on one engine and moves only the keys of an engine that leaves")
    func sessionStickiness() {
        var policy = SessionPolicy()
        let all = Self.candidates(inFlight: [0, 0, 0, 0])
        let keys = (0..<200).map { "user-\($0)" }
        let before = keys.map { policy.choose(for: RoutingRequest(requestID: "r", sessionKey: $0), among: all) }
        #expect(before == keys.map { policy.choose(for: RoutingRequest(requestID: "r", sessionKey: $0), among: all) })
        #expect(Set(before).count == 4)
        let without2 = all.filter { $0.id != "e2" }
        for (key, engine) in zip(keys, before) where engine != 2 {
            let after = policy.choose(for: RoutingRequest(requestID: "r", sessionKey: key), among: without2)
            #expect(without2[after].id == all[engine].id)
        }
    }

    @Test("session spills a key to the next engine on the ring when its engine is over the bounded load")
    func sessionSpillOver() {
        var policy = SessionPolicy()
        let request = RoutingRequest(requestID: "r", sessionKey: "hot-user")
        let home = policy.choose(for: request, among: Self.candidates(inFlight: [2, 2, 2, 2]))
        var loaded = [2, 2, 2, 2]
        loaded[home] = 9  // mean 3.75, cap 1.25 · 3.75 + 1 ≈ 5.7
        let spilled = policy.choose(for: request, among: Self.candidates(inFlight: loaded))
        #expect(spilled != home)
        #expect(policy.choose(for: request, among: Self.candidates(inFlight: [2, 2, 2, 2])) == home)
    }

    @Test("session maps a key to the same engine in every router replica")
    func sessionReplicasAgree() {
        var first = SessionPolicy()
        var second = SessionPolicy()
        let members: [EngineID] = ["10.0.0.1:8000", "10.0.0.2:8000", "10.0.0.3:8000"]
        for index in 0..<100 {
            #expect(
                first.owner(ofKey: "s\(index)", among: members)
                    == second.owner(ofKey: "s\(index)", among: members.reversed()))
        }
    }

    @Test("session without a key falls back to least loaded; the header wins over the user field")
    func sessionWithoutKey() {
        var policy = SessionPolicy()
        #expect(policy.choose(for: Self.request, among: Self.candidates(inFlight: [5, 1, 3])) == 1)
        #expect(RoutingRequest.sessionKey(header: "h", user: "u") == "h")
        #expect(RoutingRequest.sessionKey(header: "", user: "u") == "u")
        #expect(RoutingRequest.sessionKey(header: nil, user: nil) == nil)
    }

    @Test("every policy kind builds a policy that answers to its flag name")
    func policyKinds() {
        for kind in PolicyKind.allCases {
            #expect(kind.makePolicy(config: RouterConfig()).name == kind.rawValue)
        }
        #expect(RouterConfig().policy == .prefixAware)
    }
}
