import ServingCore

/// Sends the prompts on schedule and collects every outcome.
enum BenchServeLoad {
    /// Returns outcomes in prompt order and the wall time from the first send to the last response.
    static func run(
        prompts: [BenchServeDataset.Prompt], request: BenchServeRequest, rate: Double?, maxConcurrency: Int?,
        seed: UInt64
    ) async -> ([BenchServeOutcome], Double) {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        var offsets: [Double] = []
        var t = 0.0
        for _ in prompts {
            offsets.append(t)
            if let rate { t += rng.exponential(rate: rate) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        var outcomes = [BenchServeOutcome](repeating: BenchServeOutcome(), count: prompts.count)
        await withTaskGroup(of: (Int, BenchServeOutcome).self) { group in
            var inFlight = 0
            for (index, prompt) in prompts.enumerated() {
                let due = start + .milliseconds(Int64(offsets[index] * 1000))
                if due > clock.now { try? await clock.sleep(until: due) }
                if let cap = maxConcurrency, inFlight >= cap, let (i, o) = await group.next() {
                    outcomes[i] = o
                    inFlight -= 1
                }
                group.addTask { (index, await request.run(prompt)) }
                inFlight += 1
            }
            for await (i, o) in group { outcomes[i] = o }
        }
        let elapsed = start.duration(to: clock.now)
        return (outcomes, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}
