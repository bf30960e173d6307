/// Tuning of `prefix_aware`.
public struct PrefixAwareConfig: Sendable, Equatable {
    /// λ in `score = matchedBlocks − λ · LoadCost`: how many matched blocks one unit of load is worth.
    public var loadWeight: Double = 1.0
    /// ε of the bounded-load cap (see `BoundedLoad`); 0.25 keeps the busiest engine near 1.25× the mean.
    public var balanceFactor: Double = 0.25
    /// An engine below `starvedFraction · mean − 1` in flight takes the next request outright.
    public var starvedFraction: Double = 0.5
    /// How long a speculative insert lives without a confirming KV event (nanoseconds; ≈ 2× event lag).
    public var speculativeTTL: UInt64 = 2_000_000_000

    public init() {}

    public func validate() throws(RouterConfigError) {
        guard loadWeight >= 0, loadWeight.isFinite else { throw .invalid("loadWeight must be >= 0, got \(loadWeight)") }
        guard balanceFactor >= 0, balanceFactor.isFinite else {
            throw .invalid("balanceFactor must be >= 0, got \(balanceFactor)")
        }
        guard (0...1).contains(starvedFraction) else {
            throw .invalid("starvedFraction must be in 0...1, got \(starvedFraction)")
        }
        guard speculativeTTL > 0 else { throw .invalid("speculativeTTL must be > 0") }
    }
}

/// `prefix_aware` (the default): the engine that already caches the longest prefix of the request, weighed
/// against load so a hot prefix cannot overload its holder.
///
/// Load is bounded from both sides (`BoundedLoad`, ε = `balanceFactor`, s = `starvedFraction`):
/// - an engine above `(1 + ε) · mean + 1` in flight is skipped, so a hot prefix fills its holder up to the
///   cap and then spills to another engine, whose speculative insert makes it a second holder — the prefix
///   replicates as far as the load needs;
/// - an engine below `s · mean − 1` takes the request outright, so a prefix held by most engines
///   cannot starve the others (with linear scores an engine without a shared system prompt would never
///   win against its holders, although acquiring it costs one prefill).
/// Otherwise the highest `matchedBlocks − λ · cost` wins, ties rotating; with no prefix anywhere that is
/// `least_loaded` among the engines under the cap.
public struct PrefixAwarePolicy: RoutingPolicy {
    public let name = "prefix_aware"
    public let usesPrefixMatch = true
    public let config: PrefixAwareConfig
    /// Rotation for tie-breaks; unsigned so wrapping after 2^64 decisions stays a valid index.
    private var next: UInt = 0

    public init(config: PrefixAwareConfig = PrefixAwareConfig()) {
        self.config = config
    }

    public mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        defer { next &+= 1 }
        let scan = BoundedLoad.scan(candidates, start: Int(next % UInt(candidates.count)), config: config)
        return scan.starved || scan.best < 0 ? scan.idlest : scan.best
    }
}
