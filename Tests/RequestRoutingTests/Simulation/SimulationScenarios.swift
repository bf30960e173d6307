import Foundation
import RequestRouting
import ServingCore

/// Workloads for the simulation tests, all seeded.
enum SimulationScenarios {
    static func engines(_ count: Int, speeds: [Double]? = nil) -> [FakeEngine] {
        (0..<count).map { index in
            var engine = FakeEngine(id: EngineID("engine-\(index)"))
            engine.speed = speeds?[index] ?? 1
            return engine
        }
    }

    static func router(_ policy: PolicyKind, configure: (inout RouterConfig) -> Void = { _ in }) -> RouterCore {
        var config = RouterConfig(policy: policy)
        configure(&config)
        return try! RouterCore(config: config)
    }

    /// An exponential inter-arrival time (Poisson process) with mean `1/rate` seconds, in nanoseconds.
    static func exponential(rate: Double, _ generator: inout SplitMix64) -> UInt64 {
        let uniform = (Double(generator.next() >> 11) + 0.5) / Double(1 << 53)
        return UInt64(-log(uniform) / rate * 1e9)
    }

    /// `count` single-turn requests of `blocks` unique blocks each (no shared prefix), Poisson at `rate`/s.
    static func submitUnique(
        to sim: RoutingSimulation, count: Int, rate: Double, seed: UInt64, blocks: ClosedRange<Int> = 8...48
    ) {
        var generator = SplitMix64(seed: seed)
        var time: UInt64 = 0
        for index in 0..<count {
            time += exponential(rate: rate, &generator)
            let length = blocks.lowerBound + Int(generator.next() % UInt64(blocks.count))
            let output = 8 + Int(generator.next() % 32)
            let item = SimWorkItem(
                id: "u\(index)", blocks: SimHashes.chain(SimHashes.contents(1_000 + UInt64(index), count: length)),
                outputTokens: output)
            sim.submit(item, at: time)
        }
    }

    /// The blocks of turn `turn` of conversation `conversation`: the system prompt, then 8 blocks per turn.
    static func conversationBlocks(system: [BlockHashKey], conversation: Int, turn: Int) -> [BlockHashKey] {
        system
            + SimHashes.chain(
                SimHashes.contents(500 + UInt64(conversation), count: 8 * (turn + 1)), parent: system.last)
    }

    /// Closed-loop conversations of `turns` turns with think times of 100–300 ms.
    static func conversations(
        on sim: RoutingSimulation, system: [BlockHashKey], count: Int, turns: Int, seed: UInt64
    ) {
        var generator = SplitMix64(seed: seed)
        for conversation in 0..<count {
            let item = SimWorkItem(
                id: "c\(conversation)-0",
                blocks: conversationBlocks(system: system, conversation: conversation, turn: 0),
                outputTokens: 16, conversation: conversation, turn: 0)
            sim.submit(item, at: generator.next() % 2_000_000_000)
        }
        var thinkGenerator = SplitMix64(seed: seed ^ 0xABCD)
        sim.nextTurn = { item, _ in
            guard let conversation = item.conversation, item.turn + 1 < turns else { return nil }
            let turn = item.turn + 1
            let next = SimWorkItem(
                id: "c\(conversation)-\(turn)",
                blocks: conversationBlocks(system: system, conversation: conversation, turn: turn),
                outputTokens: 16, conversation: conversation, turn: turn)
            return (next, 100_000_000 + thinkGenerator.next() % 200_000_000)
        }
    }

    /// A storm of `count` requests sharing `system` plus 4 unique blocks each, Poisson at `rate`/s.
    static func submitStorm(to sim: RoutingSimulation, system: [BlockHashKey], count: Int, rate: Double, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var time: UInt64 = 500_000_000
        for index in 0..<count {
            time += exponential(rate: rate, &generator)
            let blocks =
                system + SimHashes.chain(SimHashes.contents(90_000 + UInt64(index), count: 4), parent: system.last)
            sim.submit(SimWorkItem(id: "s\(index)", blocks: blocks, outputTokens: 20), at: time)
        }
    }
}
