/// Tuning of LoRA adapter affinity (`apus router --[no-]lora-affinity`, `--lora-affinity-adapters-per-engine`).
public struct AdapterAffinityConfig: Sendable, Equatable {
    /// The largest `adaptersPerEngine` accepted: bounds the index at 64 · 1 024 keys.
    public static let maxAdaptersPerEngine = 1_024

    /// Whether requests with an adapter prefer engines that hold it; on by default.
    public var enabled = true
    /// K: the distinct adapters an engine is assumed to hold, the engines' `--max-cpu-loras` (4 in vLLM).
    public var adaptersPerEngine = 4

    public init(enabled: Bool = true, adaptersPerEngine: Int = 4) {
        self.enabled = enabled
        self.adaptersPerEngine = adaptersPerEngine
    }

    public func validate() throws(RouterConfigError) {
        guard (1...Self.maxAdaptersPerEngine).contains(adaptersPerEngine) else {
            throw .invalid(
                "adaptersPerEngine must be in 1...\(Self.maxAdaptersPerEngine) (the engines' --max-cpu-loras), "
                    + "got \(adaptersPerEngine)")
        }
    }
}

/// LoRA adapter affinity around any base policy: a request with an adapter goes to an engine whose runners
/// probably hold it (`EngineCandidate.holdsAdapter`, from `AdapterIndex`), bounded by load; a request without
/// one goes exactly where `base` sends it.
///
/// llm-d's `lora-affinity-scorer` ranks engines with the adapter active first, then engines with room to load
/// one more; vLLM production-stack sends an adapter's requests only to engines whose `/v1/models` lists it.
/// Here the holders come from `AdapterIndex`, and load bounds them with the rule of `BoundedLoad` (ε and s of
/// `prefix_aware`, one notion of "too busy"):
/// 1. an engine below `s · mean − 1` in flight (starved) takes the request outright, holder or not, so an
///    engine whose adapters went cold gets work and becomes a second holder of a busy adapter;
/// 2. else the holder under `(1 + ε) · mean + 1` with the highest `matchedBlocks − λ · LoadCost` (ties
///    rotating): the least loaded holder, unless one caches the request's prefix;
/// 3. else (no holder, or all over the cap) `base` chooses among the engines under the cap with room for the
///    adapter (`hasAdapterRoom`: loading it there evicts no adapter's last copy), or among all engines when
///    none has room; the core then records that engine as a holder. A busy adapter so replicates as far as its
///    load needs, like a hot prefix under `prefix_aware`, and its extra replicas are what later loads evict, not
///    the only copy of a colder adapter (whose next request would miss again).
///
/// Why holders come before prefix matches and matches decide only among holders: an adapter miss costs the
/// engine a load from disk and evicts another adapter, whose next request misses in turn, while the matched
/// blocks of a non-holder are rare and stale — block hashes include the adapter name, so a non-holder with a
/// match served the adapter long enough ago that its runners have probably evicted it, and the match still
/// needs the adapter loaded. Among holders a match saves prefill as usual, so requests sharing an adapter's
/// system prompt stay on the holder caching it; in step 3 `prefix_aware` weighs matches as for any request.
public struct AdapterAffinityPolicy: RoutingPolicy {
    /// The wrapped policy: its name is the router's policy name.
    public private(set) var base: any RoutingPolicy
    /// ε, s and λ of the bounded-load rule and the holder score.
    public let bound: PrefixAwareConfig
    /// Rotation for tie-breaks; unsigned so wrapping after 2^64 decisions stays a valid index.
    private var next: UInt = 0
    /// Step 3's engines with room and their indices in the candidates; kept to reuse their storage.
    private var roomy: [EngineCandidate] = []
    private var roomyIndices: [Int] = []

    public init(base: any RoutingPolicy, bound: PrefixAwareConfig = PrefixAwareConfig()) {
        self.base = base
        self.bound = bound
    }

    public var name: String { base.name }
    public var usesPrefixMatch: Bool { base.usesPrefixMatch }

    public mutating func choose(for request: RoutingRequest, among candidates: [EngineCandidate]) -> Int {
        guard request.loraName != nil else { return base.choose(for: request, among: candidates) }
        defer { next &+= 1 }
        let scan = BoundedLoad.scan(
            candidates, start: Int(next % UInt(candidates.count)), config: bound, eligible: \.holdsAdapter)
        if scan.starved { return scan.idlest }
        if scan.best >= 0 { return scan.best }
        return chooseWithRoom(for: request, among: candidates, capacity: scan.capacity)
    }

    /// Step 3: `base` among the engines under `capacity` with room for the adapter, or among all.
    private mutating func chooseWithRoom(
        for request: RoutingRequest, among candidates: [EngineCandidate], capacity: Int
    ) -> Int {
        roomy.removeAll(keepingCapacity: true)
        roomyIndices.removeAll(keepingCapacity: true)
        for (index, candidate) in candidates.enumerated()
        where candidate.hasAdapterRoom && BoundedLoad.admits(inFlight: candidate.inFlight, capacity: capacity) {
            roomy.append(candidate)
            roomyIndices.append(index)
        }
        guard !roomy.isEmpty, roomy.count < candidates.count else {
            return base.choose(for: request, among: candidates)
        }
        return roomyIndices[base.choose(for: request, among: roomy)]
    }
}
