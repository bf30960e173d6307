import RequestRouting
import Testing

/// Issue 15's bar for the router: in a simulated 4-engine cluster serving 16 adapters, at least 90% of the
/// requests with an adapter go to an engine whose runners already hold it, and no dispatch exceeds the load bound.
///
/// The fake engines run adapters as the engine-core does (at most 4 distinct in a batch, the starvation fence,
/// runners with an LRU of 4; `FakeEngine`), so "holding" is their runners' LRU at the moment of routing. A request
/// sent to an engine where an earlier request of its adapter still waits to be loaded counts as a miss, although
/// it costs no extra load. The workload (`submitAdapterRequests`): 4 000 unique prompts at 120 requests/s, which
/// keeps about 12 of the 16 batch slots of each engine busy; 20% for the base model, the rest Zipf over the 16
/// adapters, reshuffled every 1 000 requests. The hottest adapter then gets about a quarter of all requests, one
/// engine's share, so load swings push its holder over the cap and it replicates.
@Suite("LoRA adapter affinity in a simulated cluster")
struct LoRAAffinitySimulationTests {
    /// What one run measured; "holding" is the fake runners' own LRU at the moment of routing.
    struct Measured {
        var adapterRequests = 0
        var toHolder = 0
        var perAdapter: [String: (requests: Int, toHolder: Int)] = [:]
        /// Dispatches to an engine at or above `BoundedLoad.capacity` before the request.
        var overBound = 0
        var worstRatio = 0.0
        var adapterLoads = 0
        var completed = 0
        var seconds = 0.0

        var fraction: Double { Double(toHolder) / Double(max(adapterRequests, 1)) }
        var worstAdapter: Double {
            perAdapter.values.map { Double($0.toHolder) / Double($0.requests) }.min() ?? 0
        }

        /// Pools `other` into this measurement.
        mutating func add(_ other: Measured) {
            adapterRequests += other.adapterRequests
            toHolder += other.toHolder
            for (name, counts) in other.perAdapter {
                perAdapter[name, default: (0, 0)].requests += counts.requests
                perAdapter[name, default: (0, 0)].toHolder += counts.toHolder
            }
            overBound += other.overBound
            worstRatio = max(worstRatio, other.worstRatio)
            adapterLoads += other.adapterLoads
            completed += other.completed
            seconds += other.seconds
        }
    }

    static let requests = 4_000

    static func run(affinity: Bool, seed: UInt64) async -> Measured {
        let sim = RoutingSimulation(
            router: SimulationScenarios.router(.prefixAware) { $0.loraAffinity.enabled = affinity },
            engines: SimulationScenarios.engines(4))
        SimulationScenarios.submitAdapterRequests(
            to: sim, count: requests, rate: 120, adapters: 16, phase: 1_000, seed: seed)
        let balanceFactor = sim.router.config.prefixAware.balanceFactor
        let slots = sim.engines.map { sim.router.backends[$0.id]!.slot }
        var measured = Measured()
        sim.onRouted = { item, chosen, sim in
            let counts = slots.map { sim.router.ledger.inFlight(slot: $0) }
            let capacity = BoundedLoad.capacity(
                totalInFlight: counts.reduce(0, +) - 1, engines: counts.count, balanceFactor: balanceFactor)
            if !BoundedLoad.admits(inFlight: counts[chosen] - 1, capacity: capacity) { measured.overBound += 1 }
            let mean = Double(counts.reduce(0, +)) / Double(counts.count)
            if mean >= 8 { measured.worstRatio = max(measured.worstRatio, Double(counts.max()!) / mean) }
            guard let name = item.loraName else { return }
            let held = sim.engines[chosen].runnerLoRAs.contains(name)
            measured.adapterRequests += 1
            measured.perAdapter[name, default: (0, 0)].requests += 1
            if held {
                measured.toHolder += 1
                measured.perAdapter[name, default: (0, 0)].toHolder += 1
            }
        }
        // NOTE: paced: at full speed the runs kept the service suites' in-process engines from their 5 s readiness
        // deadline on a loaded 2-core machine.
        await sim.runPaced()
        measured.adapterLoads = sim.engines.map(\.runnerLoRAs.loads).reduce(0, +)
        measured.completed = sim.completed
        measured.seconds = Double(sim.lastCompletion) / 1e9
        #expect(sim.router.ledger.count == 0 && sim.router.ledger.totalInFlight == 0)
        sim.router.adapterIndex.checkInvariants()
        return measured
    }

    static func report(_ label: String, _ m: Measured) {
        let fraction = (m.fraction * 1_000).rounded() / 10
        print(
            "\(label): \(m.toHolder)/\(m.adapterRequests) adapter requests to a holder = \(fraction)%, "
                + "worst adapter \((m.worstAdapter * 1_000).rounded() / 10)%, runner adapter loads \(m.adapterLoads), "
                + "over the bound \(m.overBound), worst max/mean in flight \(m.worstRatio), "
                + "\(m.completed) done in \(m.seconds) simulated s")
    }

    static let seeds: [UInt64] = [41, 42, 43]

    /// Three runs of 4 000 requests are pooled into one fraction: a single run of ~3 200 adapter requests still
    /// swings by about ±1.5 points between seeds (89.9–92.4% over seeds 41–45), and the bar is about the
    /// workload, not a seed. The per-seed floor keeps one bad run from hiding behind the others.
    @Test("with affinity at least 90% of adapter requests reach an engine holding it, never over the load bound")
    func affinityMeetsTheBar() async {
        var with = Measured()
        var runs: [Measured] = []
        for seed in Self.seeds {
            let run = await Self.run(affinity: true, seed: seed)
            Self.report("seed \(seed) with lora affinity", run)
            #expect(run.completed == Self.requests)
            #expect(run.fraction >= 0.88, "seed \(seed)")
            with.add(run)
            runs.append(run)
        }
        Self.report("all seeds with lora affinity", with)
        #expect(with.adapterRequests >= 9_000)
        #expect(with.fraction >= 0.9)
        #expect(with.overBound == 0)
        // The same workload routed by prefix_aware alone misses the bar by far: the test can fail.
        let without = await Self.run(affinity: false, seed: Self.seeds[0])
        Self.report("seed \(Self.seeds[0]) without lora affinity", without)
        #expect(without.fraction < 0.75)
        #expect(runs[0].adapterLoads * 3 < without.adapterLoads)
    }
}
