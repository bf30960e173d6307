/// `session`: requests with the same session key go to the same engine, by consistent hashing with
/// bounded load; requests without a key go to the least-loaded engine.
///
/// Each engine owns `virtualNodes` points on a 64-bit ring (hashed from its id only, so every router
/// replica builds the same ring); a key goes to the first engine clockwise from its hash that is under the
/// bounded-load capacity. An engine leaving the candidates moves only its own keys; an engine at the cap
/// spills its keys to the next engines on the ring until it drains below the cap.
public struct SessionPolicy: RoutingPolicy {
    public let name = "session"
    public let usesPrefixMatch = false
    public let balanceFactor: Double
    public let virtualNodes: Int
    private var ringMembers: [EngineID] = []
    private var ringPoints: [UInt64] = []
    private var ringOwners: [Int] = []
    private var fallback = LeastLoadedPolicy()

    public init(balanceFactor: Double = 0.25, virtualNodes: Int = 100) {
        precondition(balanceFactor >= 0 && virtualNodes >= 1)
        self.balanceFactor = balanceFactor
        self.virtualNodes = virtualNodes
    }

    public mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        guard let key = request.sessionKey else { return fallback.choose(for: request, among: candidates) }
        if !ringMatches(candidates) { rebuildRing(candidates) }
        var total = 0
        for candidate in candidates { total += candidate.inFlight }
        let capacity = BoundedLoad.capacity(
            totalInFlight: total, engines: candidates.count, balanceFactor: balanceFactor)
        var position = firstPoint(atOrAfter: StableHash.hash(key))
        for _ in 0..<ringPoints.count {
            let owner = ringOwners[position]
            if BoundedLoad.admits(inFlight: candidates[owner].inFlight, capacity: capacity) { return owner }
            position = (position + 1) % ringPoints.count
        }
        return fallback.choose(for: request, among: candidates)
    }

    /// The engine a key maps to with no load bound, among `members`; for tests and diagnostics.
    public mutating func owner(ofKey key: String, among members: [EngineID]) -> EngineID {
        let candidates = members.map { EngineCandidate(id: $0) }
        if !ringMatches(candidates) { rebuildRing(candidates) }
        return members[ringOwners[firstPoint(atOrAfter: StableHash.hash(key))]]
    }

    private func ringMatches(_ candidates: [EngineCandidate]) -> Bool {
        guard candidates.count == ringMembers.count else { return false }
        for index in candidates.indices where candidates[index].id != ringMembers[index] { return false }
        return true
    }

    private mutating func rebuildRing(_ candidates: [EngineCandidate]) {
        ringMembers = candidates.map(\.id)
        var points: [(UInt64, Int)] = []
        points.reserveCapacity(candidates.count * virtualNodes)
        for (index, member) in ringMembers.enumerated() {
            let base = StableHash.hash(member.rawValue)
            for node in 0..<virtualNodes {
                points.append((StableHash.mix(base ^ (UInt64(node) &* 0x9E37_79B9_7F4A_7C15)), index))
            }
        }
        // NOTE: ties broken by the member's id, not its index, so every replica orders the ring the same.
        points.sort { $0.0 != $1.0 ? $0.0 < $1.0 : ringMembers[$0.1] < ringMembers[$1.1] }
        ringPoints = points.map(\.0)
        ringOwners = points.map(\.1)
    }

    private func firstPoint(atOrAfter hash: UInt64) -> Int {
        var low = 0
        var high = ringPoints.count
        while low < high {
            let mid = (low + high) / 2
            if ringPoints[mid] < hash { low = mid + 1 } else { high = mid }
        }
        return low == ringPoints.count ? 0 : low
    }
}
