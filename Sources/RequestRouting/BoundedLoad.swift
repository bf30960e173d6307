/// The bounded-load rule of consistent hashing with bounded loads (Mirrokni et al.), shared by
/// `prefix_aware` and `session`: an engine whose in-flight count exceeds `(1 + ε) · mean + 1` takes no
/// new request (`mean` over the candidates, before this request). The `+ 1` keeps a nearly idle fleet
/// from refusing an engine its second request.
///
/// The least-loaded engine is never above the mean, so some candidate always qualifies.
public enum BoundedLoad {
    /// The smallest in-flight count that is over the cap; an engine qualifies while below it.
    public static func capacity(totalInFlight: Int, engines: Int, balanceFactor: Double) -> Int {
        precondition(engines > 0 && balanceFactor >= 0)
        let bound = (1 + balanceFactor) * Double(totalInFlight) / Double(engines) + 1
        return Int(bound) + 1
    }

    /// Whether a candidate with `inFlight` requests may take one more under `capacity`.
    @inline(__always)
    public static func admits(inFlight: Int, capacity: Int) -> Bool {
        inFlight < capacity
    }

    /// Whether an engine with `inFlight` requests is starved: below `fraction · mean − 1`.
    @inline(__always)
    public static func isStarved(inFlight: Int, totalInFlight: Int, engines: Int, fraction: Double) -> Bool {
        Double(inFlight) < fraction * Double(totalInFlight) / Double(engines) - 1
    }
}
