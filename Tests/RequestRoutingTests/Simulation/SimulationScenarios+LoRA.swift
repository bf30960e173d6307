import Foundation
import RequestRouting
import ServingCore

extension SimulationScenarios {
    /// The name of adapter `index`.
    static func adapterName(_ index: Int) -> String { "adapter-\(index)" }

    /// `count` single-turn requests with unique prompts (no shared prefix, so only adapter affinity can keep an
    /// adapter on its engines), Poisson at `rate`/s, 8–64 output tokens.
    ///
    /// A fraction `baseFraction` runs the base model; the rest pick one of `adapters` adapters with Zipf
    /// popularity (weight 1/rank^`skew`) over a random ranking, redrawn every `phase` requests, so which adapters
    /// are hot changes during the run and the hottest needs more than one engine.
    static func submitAdapterRequests(
        to sim: RoutingSimulation, count: Int, rate: Double, adapters: Int, skew: Double = 1,
        baseFraction: Double = 0.2, phase: Int, seed: UInt64
    ) {
        var generator = SplitMix64(seed: seed)
        var time: UInt64 = 0
        var cumulative: [Double] = []
        for index in 0..<count {
            if index % phase == 0 { cumulative = popularity(adapters: adapters, skew: skew, &generator) }
            time += exponential(rate: rate, &generator)
            let length = 4 + Int(generator.next() % 13)
            var item = SimWorkItem(
                id: "l\(index)", blocks: SimHashes.chain(SimHashes.contents(200_000 + UInt64(index), count: length)),
                outputTokens: 8 + Int(generator.next() % 57))
            if uniform(&generator) >= baseFraction {
                let draw = uniform(&generator)
                item.loraName = adapterName(cumulative.firstIndex { draw < $0 } ?? adapters - 1)
            }
            sim.submit(item, at: time)
        }
    }

    /// Cumulative Zipf weights over adapters in a random order (the adapter at rank r has weight 1/r^skew).
    private static func popularity(adapters: Int, skew: Double, _ generator: inout SplitMix64) -> [Double] {
        var ranks = Array(1...adapters)
        for index in stride(from: adapters - 1, to: 0, by: -1) {
            ranks.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
        let weights = ranks.map { 1 / pow(Double($0), skew) }
        let total = weights.reduce(0, +)
        var sum = 0.0
        return weights.map { weight in
            sum += weight / total
            return sum
        }
    }

    private static func uniform(_ generator: inout SplitMix64) -> Double {
        Double(generator.next() >> 11) / Double(1 << 53)
    }
}
