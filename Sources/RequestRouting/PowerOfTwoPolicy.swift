import ServingCore

/// `power_of_two`: two distinct candidates drawn from a seeded generator; the less loaded one wins.
public struct PowerOfTwoPolicy: RoutingPolicy {
    public let name = "power_of_two"
    public let usesPrefixMatch = false
    private var generator: SplitMix64

    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    public mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        let count = candidates.count
        guard count > 1 else { return 0 }
        let first = Int(generator.next() % UInt64(count))
        var second = Int(generator.next() % UInt64(count - 1))
        if second >= first { second += 1 }
        return candidates[second].cost < candidates[first].cost ? second : first
    }
}
