/// `least_loaded`: the lowest `LoadCost` (engine-reported waiting / running / KV usage and the router's
/// in-flight count); ties rotate so an idle fleet is filled evenly.
public struct LeastLoadedPolicy: RoutingPolicy {
    public let name = "least_loaded"
    public let usesPrefixMatch = false
    /// Rotation for tie-breaks; unsigned so wrapping after 2^64 decisions stays a valid index.
    private var next: UInt = 0

    public init() {}

    public mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        defer { next &+= 1 }
        return LoadCost.cheapest(candidates, start: Int(next % UInt(candidates.count)))
    }
}
