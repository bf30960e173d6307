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

extension BoundedLoad {
    /// One pass of `prefix_aware`'s rule over `candidates`, from `start` round (ties go to the first in that
    /// order): the highest `matchedBlocks − λ · cost` among the `eligible` engines under the cap, the least loaded
    /// engine, and whether that one is starved. Shared by `prefix_aware` and the adapter-affinity wrapper.
    struct Scan {
        /// The best eligible engine under the cap, or −1 when none is.
        var best = -1
        var idlest: Int
        var starved = false
        var capacity: Int
    }

    static func scan(
        _ candidates: [EngineCandidate], start: Int, config: PrefixAwareConfig,
        eligible: (EngineCandidate) -> Bool = { _ in true }
    ) -> Scan {
        let count = candidates.count
        var total = 0
        for candidate in candidates { total += candidate.inFlight }
        var scan = Scan(
            idlest: start, capacity: capacity(totalInFlight: total, engines: count, balanceFactor: config.balanceFactor))
        var bestScore = -Double.infinity
        for step in 0..<count {
            let index = (start + step) % count
            let candidate = candidates[index]
            if candidate.inFlight < candidates[scan.idlest].inFlight { scan.idlest = index }
            guard eligible(candidate), admits(inFlight: candidate.inFlight, capacity: scan.capacity) else { continue }
            let score = Double(candidate.matchedBlocks) - config.loadWeight * candidate.cost
            if score > bestScore {
                scan.best = index
                bestScore = score
            }
        }
        scan.starved = isStarved(
            inFlight: candidates[scan.idlest].inFlight, totalInFlight: total, engines: count,
            fraction: config.starvedFraction)
        return scan
    }
}
