/// `round_robin`: candidates in membership order, one after another.
public struct RoundRobinPolicy: RoutingPolicy {
    public let name = "round_robin"
    public let usesPrefixMatch = false
    private var next = 0

    public init() {}

    public mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        defer { next &+= 1 }
        return next % candidates.count
    }
}
