import RequestRouting
import ServingCore
import Testing

@Suite("LoRA adapter affinity policy")
struct AdapterAffinityPolicyTests {
    static func candidates(
        inFlight: [Int], holders: Set<Int> = [], room: Set<Int> = [], matched: [Int]? = nil
    ) -> [EngineCandidate] {
        inFlight.enumerated().map { index, count in
            EngineCandidate(
                id: EngineID("e\(index)"), slot: index, inFlight: count, matchedBlocks: matched?[index] ?? 0,
                holdsAdapter: holders.contains(index), hasAdapterRoom: room.contains(index))
        }
    }

    static let adapterRequest = RoutingRequest(requestID: "r", loraName: "sql")

    static func affinity(_ base: any RoutingPolicy = PrefixAwarePolicy()) -> AdapterAffinityPolicy {
        AdapterAffinityPolicy(base: base)
    }

    @Test("a holder wins over a less loaded engine that would have to load the adapter")
    func holderPreferred() {
        var policy = Self.affinity()
        let list = Self.candidates(inFlight: [6, 2, 5, 4], holders: [2])
        #expect(policy.choose(for: Self.adapterRequest, among: list) == 2)
        var base = PrefixAwarePolicy()
        #expect(base.choose(for: Self.adapterRequest, among: list) == 1, "the base policy alone goes elsewhere")
    }

    @Test("among holders the least loaded wins, unless one caches the request's prefix")
    func amongHolders() {
        var policy = Self.affinity()
        let loads = Self.candidates(inFlight: [5, 3, 4, 1], holders: [0, 2])
        #expect(policy.choose(for: Self.adapterRequest, among: loads) == 2)
        let matched = Self.candidates(inFlight: [5, 3, 4, 1], holders: [0, 2], matched: [12, 0, 0, 0])
        #expect(policy.choose(for: Self.adapterRequest, among: matched) == 0)
    }

    @Test("a holder over (1 + ε) · mean + 1 in flight is skipped; with no holder under the cap the base decides")
    func capRespected() {
        var policy = Self.affinity()
        // mean 5, cap 1.25 · 5 + 1 = 7.25: 8 is over it, 7 is not.
        let over = Self.candidates(inFlight: [8, 4, 3], holders: [0])
        #expect(policy.choose(for: Self.adapterRequest, among: over) == 2)
        let atEdge = Self.candidates(inFlight: [7, 4, 4], holders: [0])
        #expect(policy.choose(for: Self.adapterRequest, among: atEdge) == 0)
        // The second holder is under the cap: it takes the request rather than the least loaded non-holder.
        let second = Self.candidates(inFlight: [9, 5, 2, 4], holders: [0, 1])
        #expect(policy.choose(for: Self.adapterRequest, among: second) == 1)
    }

    @Test("a starved engine takes the request although others hold the adapter")
    func starvedTakesIt() {
        var policy = Self.affinity()
        // mean 32 / 3, starved below 0.5 · 10.7 − 1 ≈ 4.3.
        let starved = Self.candidates(inFlight: [14, 14, 4], holders: [0, 1])
        #expect(policy.choose(for: Self.adapterRequest, among: starved) == 2)
        // mean 12: 10 is not starved (5), and both holders are under 1.25 · 12 + 1 = 16.
        let busy = Self.candidates(inFlight: [13, 13, 10], holders: [0, 1])
        #expect(policy.choose(for: Self.adapterRequest, among: busy) != 2)
    }

    @Test("with no holder the base policy decides")
    func noHolderIsBase() {
        var policy = Self.affinity(LeastLoadedPolicy())
        #expect(policy.choose(for: Self.adapterRequest, among: Self.candidates(inFlight: [3, 1, 2])) == 1)
        var prefix = Self.affinity()
        let matched = Self.candidates(inFlight: [3, 3, 3], matched: [0, 0, 20])
        #expect(prefix.choose(for: Self.adapterRequest, among: matched) == 2)
    }

    @Test("with no holder under the cap the base chooses among the engines with room for the adapter")
    func roomPreferred() {
        var policy = Self.affinity(LeastLoadedPolicy())
        // mean 2.5, cap 5: every engine qualifies by load; only e2 and e3 can load the adapter without evicting
        // an adapter's last copy, and least_loaded picks the lighter of those two.
        let list = Self.candidates(inFlight: [1, 2, 3, 4], room: [2, 3])
        #expect(policy.choose(for: Self.adapterRequest, among: list) == 2)
        // A holder over the cap spills to an engine with room too.
        let spill = Self.candidates(inFlight: [9, 1, 3, 2], holders: [0], room: [2, 3])
        #expect(policy.choose(for: Self.adapterRequest, among: spill) == 3)
        // Room on an engine over the cap does not count: with none left the base chooses among all.
        let over = Self.candidates(inFlight: [1, 2, 9], room: [2])
        #expect(policy.choose(for: Self.adapterRequest, among: over) == 0)
    }

    @Test("requests without an adapter get exactly the base policy's decisions, name and prefix use")
    func noAdapterUnchanged() {
        for kind in PolicyKind.allCases {
            var base = kind.makePolicy(config: RouterConfig())
            var wrapped = Self.affinity(kind.makePolicy(config: RouterConfig()))
            #expect(wrapped.name == base.name && wrapped.usesPrefixMatch == base.usesPrefixMatch)
            var generator = SplitMix64(seed: 7)
            for step in 0..<500 {
                let count = 1 + Int(generator.next() % 6)
                let list = (0..<count).map { index in
                    EngineCandidate(
                        id: EngineID("e\(index)"), slot: index, inFlight: Int(generator.next() % 20),
                        matchedBlocks: Int(generator.next() % 8), holdsAdapter: generator.next() % 2 == 0)
                }
                let request = RoutingRequest(requestID: "r\(step)", sessionKey: step % 3 == 0 ? "s\(step % 7)" : nil)
                #expect(wrapped.choose(for: request, among: list) == base.choose(for: request, among: list))
            }
        }
    }
}
