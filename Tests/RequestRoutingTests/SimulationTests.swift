import RequestRouting
import Testing

@Suite("Routing in a simulated cluster of fake engines")
struct SimulationTests {
    @Test("prefix_aware keeps conversations on the engine holding their prefix while a hot-prefix storm stays balanced")
    func conversationsStickWhileStormStaysBalanced() {
        let sim = RoutingSimulation(
            router: SimulationScenarios.router(.prefixAware), engines: SimulationScenarios.engines(8))
        let system = SimHashes.chain(SimHashes.contents(1, count: 32))
        SimulationScenarios.conversations(on: sim, system: system, count: 48, turns: 6, seed: 11)
        SimulationScenarios.submitStorm(to: sim, system: system, count: 1_200, rate: 400, seed: 12)
        var eligible = 0
        var hits = 0
        var worstRatio = 0.0
        var samples = 0
        sim.onRouted = { item, chosen, sim in
            let (maximum, mean) = sim.inFlightSpread
            if mean >= 8 {
                worstRatio = max(worstRatio, Double(maximum) / mean)
                samples += 1
            }
            guard item.conversation != nil, item.turn > 0 else { return }
            // Ground truth from the engines' own caches, not from the router's index.
            let cached = sim.engines.map { $0.cachedPrefix(item.blocks) }
            guard let best = cached.max(), best > system.count else { return }
            eligible += 1
            if cached[chosen] == best { hits += 1 }
        }
        sim.run()
        let hitRate = Double(hits) / Double(max(eligible, 1))
        print("prefix_aware: conversation hit rate \(hits)/\(eligible) = \(hitRate)")
        print("prefix_aware: worst max/mean in-flight \(worstRatio) over \(samples) dispatches with mean >= 8")
        #expect(eligible >= 200)
        #expect(hitRate >= 0.95)
        #expect(samples >= 500)
        #expect(worstRatio <= 1.5)
        #expect(sim.completed == 48 * 6 + 1_200)
        #expect(sim.router.ledger.count == 0 && sim.router.ledger.totalInFlight == 0)
    }

    @Test("prefix_aware on all-unique prompts is within 5% of least_loaded throughput")
    func uniquePromptsMatchLeastLoaded() {
        var throughput: [PolicyKind: Double] = [:]
        for policy in [PolicyKind.leastLoaded, .prefixAware, .roundRobin] {
            let sim = RoutingSimulation(
                router: SimulationScenarios.router(policy),
                engines: SimulationScenarios.engines(8, speeds: [1, 1, 1, 1, 0.5, 0.5, 2, 2]))
            SimulationScenarios.submitUnique(to: sim, count: 1_500, rate: 500, seed: 21)
            sim.run()
            #expect(sim.completed == 1_500)
            throughput[policy] = Double(sim.completed) / (Double(sim.lastCompletion) / 1e9)
        }
        print("throughput on unique prompts (req/s): \(throughput)")
        #expect(throughput[.prefixAware]! >= 0.95 * throughput[.leastLoaded]!)
    }

    @Test("a hung engine is excluded within the hung window plus one tick, and its unstarted requests move")
    func hungEngineIsExcluded() {
        let sim = RoutingSimulation(
            router: SimulationScenarios.router(.prefixAware), engines: SimulationScenarios.engines(4))
        SimulationScenarios.submitUnique(to: sim, count: 1_200, rate: 200, seed: 31)
        let freezeAt: UInt64 = 1_000_000_000
        var frozen = false
        var routedToFrozenLate = 0
        sim.onRouted = { _, chosen, sim in
            if !frozen, sim.now >= freezeAt {
                sim.engines[2].frozen = true
                frozen = true
            }
            // hungAfter (2 s) + one report interval (50 ms) after the freeze, engine 2 must be out.
            if chosen == 2, sim.now >= freezeAt + 2_050_000_000 + 50_000_000 { routedToFrozenLate += 1 }
        }
        sim.run(until: 60_000_000_000)
        #expect(frozen)
        #expect(sim.routedCount[2] > 50, "the engine took its share before it hung")
        #expect(routedToFrozenLate == 0)
        #expect(sim.retried > 0, "requests that had not streamed a token moved to other engines")
        #expect(sim.completed + sim.failed == 1_200)
        #expect(sim.failed <= 16, "only requests already streaming on the hung engine fail")
        #expect(sim.router.listBackends()[2].state == .notReady)
        #expect(sim.router.listBackends()[2].blockReason == .hung)
        #expect(sim.router.ledger.count == 0 && sim.router.ledger.totalInFlight == 0)
    }
}
