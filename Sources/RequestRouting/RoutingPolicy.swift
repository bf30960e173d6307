/// The seam between the router core and a routing policy: pick one engine among dispatchable candidates.
///
/// `RouterCore` builds the candidates (ready engines only, in membership order, with their load, the
/// router's own in-flight count and — when `usesPrefixMatch` — the matched prefix length) and calls
/// `choose` once per routing decision; a policy keeps only its own small state (a counter, a generator,
/// a hash ring). Decisions must take a few microseconds.
public protocol RoutingPolicy: Sendable {
    /// The policy's flag name (`round_robin`, `least_loaded`, …).
    var name: String { get }
    /// Whether `RouterCore` must fill `EngineCandidate.matchedBlocks` from the prefix index.
    var usesPrefixMatch: Bool { get }
    /// Returns the index in `candidates` of the engine for `request`; `candidates` is never empty.
    mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int
}

/// What the router knows about a request when it routes it.
public struct RoutingRequest: Sendable {
    /// The request id (vLLM `request_id`); unique among in-flight requests.
    public var requestID: String
    /// Chained hashes of the prompt's full blocks, computed by the caller exactly as the engine does.
    public var blockHashes: [BlockHashKey]
    /// The `X-Session-ID` header, else the body's `user` field, else nil.
    public var sessionKey: String?
    /// The LoRA adapter the request runs with (vLLM `lora_name`); nil for the base model.
    public var loraName: String?

    public init(
        requestID: String, blockHashes: [BlockHashKey] = [], sessionKey: String? = nil, loraName: String? = nil
    ) {
        self.requestID = requestID
        self.blockHashes = blockHashes
        self.sessionKey = sessionKey
        self.loraName = loraName
    }

    /// The session key rule: the `X-Session-ID` header wins over the body's `user` field; empty means none.
    public static func sessionKey(header: String?, user: String?) -> String? {
        if let header, !header.isEmpty { return header }
        if let user, !user.isEmpty { return user }
        return nil
    }
}

/// One dispatchable engine as a policy sees it.
public struct EngineCandidate: Sendable {
    public var id: EngineID
    /// The engine's slot in the prefix index.
    public var slot: Int
    /// The engine's last load report, if any.
    public var load: EngineLoad?
    /// Requests the router has in flight on this engine.
    public var inFlight: Int
    /// Blocks of the request's prefix this engine holds (0 unless the policy uses prefix matching).
    public var matchedBlocks: Int
    /// Whether the engine's runners probably hold the request's LoRA adapter (`AdapterIndex`); false for a
    /// request without one or with adapter affinity off.
    public var holdsAdapter: Bool
    /// Whether loading the request's adapter here would evict no adapter that only this engine holds
    /// (`AdapterIndex.hasRoom`); false for a request without an adapter or with adapter affinity off.
    public var hasAdapterRoom: Bool
    /// `LoadCost` of this engine; lower is less loaded.
    public var cost: Double

    public init(
        id: EngineID, slot: Int = 0, load: EngineLoad? = nil, inFlight: Int = 0, matchedBlocks: Int = 0,
        holdsAdapter: Bool = false, hasAdapterRoom: Bool = false
    ) {
        self.id = id
        self.slot = slot
        self.load = load
        self.inFlight = inFlight
        self.matchedBlocks = matchedBlocks
        self.holdsAdapter = holdsAdapter
        self.hasAdapterRoom = hasAdapterRoom
        self.cost = LoadCost.cost(load: load, inFlight: inFlight)
    }
}

/// The load measure shared by `least_loaded`, `power_of_two`, `prefix_aware` and `session`.
///
/// `max(inFlight, waiting + running)` counts each request once: the router's own count is fresh, the
/// engine's report also sees other routers' requests. Waiting requests count again (a queue means the
/// engine cannot admit more), and KV pressure adds `k / (1 − k)`, which grows sharply near a full cache
/// (preemption territory); `k` is clamped to 0.95 so the term stays below 19 and stale reports cannot
/// outweigh the in-flight counts.
public enum LoadCost {
    public static func cost(load: EngineLoad?, inFlight: Int) -> Double {
        guard let load else { return Double(inFlight) }
        let base = Double(max(inFlight, load.waiting + load.running))
        let kv = min(max(load.kvUsage, 0), 0.95)
        return base + Double(load.waiting) + kv / (1 - kv)
    }

    /// Index of the cheapest candidate; ties go to the first at or after `start` (rotating tie-break).
    public static func cheapest(_ candidates: [EngineCandidate], start: Int) -> Int {
        let count = candidates.count
        var best = start % count
        for step in 1..<max(count, 1) {
            let index = (start + step) % count
            if candidates[index].cost < candidates[best].cost { best = index }
        }
        return best
    }
}
