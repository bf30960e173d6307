/// `round_robin`: candidates in membership order, one after another.
public struct RoundRobinPolicy: RoutingPolicy {
    public let name = "round_robin"
    public let usesPrefixMatch = false
    /// Rotation for tie-breaks; unsigned so wrapping after 2^64 decisions stays a valid index.
    private var next: UInt = 0

    public init() {}

    public mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        defer { next &+= 1 }
        return Int(next % UInt(candidates.count))
    }
}
