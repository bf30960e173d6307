/// The pure core of the router: membership and health, in-flight accounting, the prefix index, the adapter
/// index and the routing policy, driven by the service with events and the current time (nanoseconds, router
/// clock).
///
/// Not thread-safe by itself: the service owns one `RouterCore` and serializes calls to it (an actor or a
/// lock). Every method is synchronous and cheap; `route` takes a few microseconds.
/// Contract for the caller: every successful `route` is followed by exactly one final `finish` (possibly
/// after `.retry` decisions, each followed by its own `finish`), whatever happens to the request.
///
/// Resilience rules (Envoy semantics; docs/architecture.md §8.5): retries are bounded by
/// `config.retryBudget`; at most `maxEjectionPercent` of the engines are passively ejected at once; and when
/// no ready engine is left for a decision, panic mode sends the request to an engine that only a passive
/// ejection blocks (`EngineHealth.isPanicEligible`) rather than failing it.
public struct RouterCore: Sendable {
    public let config: RouterConfig
    public internal(set) var backends: BackendSet
    public internal(set) var ledger: DispatchLedger
    public internal(set) var prefixIndex = PrefixIndex()
    /// Which LoRA adapters each engine probably holds; fed only while `config.loraAffinity.enabled`.
    public internal(set) var adapterIndex: AdapterIndex
    private var policy: any RoutingPolicy
    private var candidates: [EngineCandidate] = []
    /// Counters of budget refusals, panic dispatches, skipped ejections and LoRA affinity hits and misses.
    public private(set) var stats = RouterStats()

    /// A core with the policy `config.policy`; throws when `config` is out of range.
    public init(config: RouterConfig = RouterConfig()) throws(RouterConfigError) {
        try self.init(config: config, policy: config.policy.makePolicy(config: config))
    }

    /// A core with a custom policy (the seam); `config.policy` is ignored. With `config.loraAffinity.enabled`
    /// the policy is wrapped in `AdapterAffinityPolicy`, which changes nothing for requests without an adapter.
    public init(config: RouterConfig, policy: any RoutingPolicy) throws(RouterConfigError) {
        try config.validate()
        self.config = config
        self.policy =
            config.loraAffinity.enabled
            ? AdapterAffinityPolicy(base: policy, bound: config.prefixAware) as any RoutingPolicy : policy
        self.adapterIndex = AdapterIndex(adaptersPerEngine: config.loraAffinity.adaptersPerEngine)
        self.backends = BackendSet(healthConfig: config.health, seed: config.seed)
        self.ledger = DispatchLedger(maxAttempts: config.maxAttempts)
    }

    public var policyName: String { policy.name }

    /// Picks an engine for a new request and records it in flight there.
    ///
    /// Throws `.noEngineAvailable` when no engine is ready or panic-eligible (the api answers 503) and `.duplicateRequestID`
    /// when a request with this id is still in flight (ids may come from clients; they must not crash us).
    public mutating func route(_ request: RoutingRequest, now: UInt64) throws(RoutingError) -> EngineID {
        guard ledger.entry(for: request.requestID) == nil else { throw .duplicateRequestID(request.requestID) }
        guard let chosen = choose(request, excluding: []) else { throw .noEngineAvailable }
        ledger.dispatch(request.requestID, to: chosen.id, slot: chosen.slot)
        didDispatch(request, to: chosen, now: now)
        return chosen.id
    }

    /// Records that output of `requestID` reached the client; the request will never be retried.
    public mutating func markFirstTokenSent(requestID: String) {
        ledger.markFirstTokenSent(requestID)
    }

    /// The engine `requestID` is on (where an abort must go), or nil.
    public func owner(of requestID: String) -> EngineID? {
        ledger.entry(for: requestID)?.engine
    }

    /// Ends or retries one upstream call of `request`; feeds the outcome to the engine's passive health.
    ///
    /// A retryable outcome moves the request to an engine it has not tried while it may be retried (no output
    /// yet, attempts left), the retry budget has room and an engine is left; otherwise the request fails.
    /// Calling it again for a request that is already over returns `.done` and changes nothing.
    public mutating func finish(_ request: RoutingRequest, outcome: RequestOutcome, now: UInt64) -> FinishResult {
        let id = request.requestID
        guard let entry = ledger.entry(for: id) else { return FinishResult(decision: .done, health: []) }
        var health: [EngineHealthAction] = []
        if let engine = entry.engine, let event = outcome.healthEvent {
            health = backends.handle(event, for: engine, now: now).map {
                EngineHealthAction(engine: engine, action: $0)
            }
            stats.ejectionsSkipped += health.count { $0.action == .ejectionSkipped }
        }
        var budgetExhausted = false
        if outcome.isRetryable, ledger.canRetry(id) {
            let retries = ledger.retriesInFlight + (entry.attempts > 1 ? 0 : 1)
            // NOTE: a lost connection is exempt: its engine is gone (kill -9, crash, partition), so moving the
            // request costs nothing the lost attempt was not going to cost, and those clients should succeed.
            // Timeouts and UNAVAILABLE answers come from live, possibly overloaded engines: those are budgeted.
            if outcome != .transportError,
                !config.retryBudget.allows(retriesInFlight: retries, requestsInFlight: ledger.count)
            {
                budgetExhausted = true
                stats.retriesBudgetExhausted += 1
            } else if let next = choose(request, excluding: entry.triedEngines) {
                ledger.retry(id, on: next.id, slot: next.slot)
                didDispatch(request, to: next, now: now)
                return FinishResult(decision: .retry(on: next.id, previous: entry.engine), health: health)
            }
        }
        ledger.finish(id)
        let failed = outcome.isRetryable || outcome == .engineError
        return FinishResult(decision: failed ? .fail : .done, health: health, retryBudgetExhausted: budgetExhausted)
    }

    /// Whether a new request could be placed now: an engine is ready, or one is panic-eligible.
    public var canDispatch: Bool {
        backends.backends.contains { $0.health.isDispatchable || $0.health.isPanicEligible }
    }

    /// Advances time: hung-engine detection, expiry of speculative prefix entries, finished drains.
    public mutating func tick(now: UInt64) -> TickResult {
        var result = TickResult()
        prefixIndex.expireSpeculative(now: now)
        for backend in backends.backends {
            let id = backend.id
            let inFlight = ledger.inFlight(slot: backend.slot)
            for action in backends.handle(.timePassed(routerInFlight: inFlight), for: id, now: now) {
                result.health.append(EngineHealthAction(engine: id, action: action))
            }
            if inFlight == 0, backend.health.state == .draining { result.drained.append(id) }
        }
        return result
    }

    /// Builds the candidates (ready engines not in `excluded`; in panic mode, when there are none, the
    /// panic-eligible engines not in `excluded`) and asks the policy; nil when none qualifies.
    private mutating func choose(_ request: RoutingRequest, excluding excluded: [EngineID]) -> EngineCandidate? {
        var slots = collectCandidates(excluding: excluded, panic: false)
        if candidates.isEmpty {
            slots = collectCandidates(excluding: excluded, panic: true)
            guard !candidates.isEmpty else { return nil }
            stats.panicDispatches += 1
        }
        if policy.usesPrefixMatch && !request.blockHashes.isEmpty { fillMatches(request.blockHashes, slots: slots) }
        let adapter = adapterKey(request)
        if let adapter { fillHolders(adapter) }
        let index = policy.choose(for: request, among: candidates)
        precondition(candidates.indices.contains(index), "policy \(policy.name) chose index \(index) out of range")
        if adapter != nil {
            if candidates[index].holdsAdapter { stats.loraAffinityHits += 1 } else { stats.loraAffinityMisses += 1 }
        }
        return candidates[index]
    }

    /// The `AdapterIndex` key of the request's adapter; nil without one or with adapter affinity off.
    private func adapterKey(_ request: RoutingRequest) -> UInt64? {
        guard config.loraAffinity.enabled, let name = request.loraName else { return nil }
        return AdapterIndex.key(name)
    }

    private mutating func fillHolders(_ adapter: UInt64) {
        let holders = adapterIndex.holders(of: adapter)
        for index in candidates.indices {
            let slot = candidates[index].slot
            candidates[index].holdsAdapter = holders & (1 << UInt64(slot)) != 0
            candidates[index].hasAdapterRoom = adapterIndex.hasRoom(slot: slot)
        }
    }

    /// Fills `candidates` with the dispatchable (or, with `panic`, the panic-eligible) engines; returns their
    /// slots as a bit set.
    private mutating func collectCandidates(excluding excluded: [EngineID], panic: Bool) -> UInt64 {
        candidates.removeAll(keepingCapacity: true)
        var slots: UInt64 = 0
        for backend in backends.backends
        where (panic ? backend.health.isPanicEligible : backend.health.isDispatchable) && !excluded.contains(backend.id)
        {
            candidates.append(
                EngineCandidate(
                    id: backend.id, slot: backend.slot, load: backend.load,
                    inFlight: ledger.inFlight(slot: backend.slot)))
            slots |= 1 << UInt64(backend.slot)
        }
        return slots
    }

    private mutating func fillMatches(_ hashes: [BlockHashKey], slots: UInt64) {
        var list: [EngineCandidate] = []
        swap(&list, &candidates)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: PrefixIndex.maxSlots) { positions in
            for (position, candidate) in list.enumerated() { positions[candidate.slot] = position }
            prefixIndex.matchedBlocks(hashes, slots: slots) { slot, depth in list[positions[slot]].matchedBlocks = depth
            }
        }
        swap(&list, &candidates)
    }

    private mutating func didDispatch(_ request: RoutingRequest, to chosen: EngineCandidate, now: UInt64) {
        // The engine's runners load the adapter for this request, so from now on it is a holder.
        if let adapter = adapterKey(request) { adapterIndex.record(adapter, slot: chosen.slot) }
        if policy.usesPrefixMatch {
            prefixIndex.insertSpeculative(
                request.blockHashes, from: chosen.matchedBlocks, slot: chosen.slot,
                deadline: now &+ config.prefixAware.speculativeTTL)
        }
        if chosen.inFlight == 0 {
            // Starts the engine's hung-detection window at the moment work arrives.
            _ = backends.handle(.timePassed(routerInFlight: 1), for: chosen.id, now: now)
        }
    }
}
