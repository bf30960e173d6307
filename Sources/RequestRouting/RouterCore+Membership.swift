extension RouterCore {
    /// Adds an engine as pending (not dispatchable until a check or a SERVING watch proves it).
    ///
    /// Returns `[.startProbing]`, or `[]` when it was already a member.
    public mutating func addBackend(_ id: EngineID, origin: String? = nil, now: UInt64) throws(RouterConfigError)
        -> [HealthAction]
    {
        try backends.add(id, origin: origin, now: now) ? [.startProbing] : []
    }

    /// Removes an engine at once: its counts drop to zero and its prefix and adapter index entries go.
    ///
    /// Returns the ids of requests that were on it, now detached: the service ends their upstream calls
    /// and reports each with `finish(_:outcome: .transportError, now:)` (which retries where allowed).
    public mutating func removeBackend(_ id: EngineID) -> [String] {
        guard let backend = backends.remove(id) else { return [] }
        prefixIndex.clear(slot: backend.slot)
        adapterIndex.clear(slot: backend.slot)
        return ledger.detachAll(from: id)
    }

    /// Stops new requests to `id`; requests in flight finish. `tick` lists it in `drained` when empty.
    public mutating func drain(_ id: EngineID, now: UInt64) -> [HealthAction] {
        backends.drain(id, now: now)
    }

    /// Feeds a health event (watch, check, …) about `id`.
    public mutating func handle(_ event: HealthEvent, for id: EngineID, now: UInt64) -> [HealthAction] {
        backends.handle(event, for: id, now: now)
    }

    /// Stores a load report from `id` and checks its step counter for progress.
    public mutating func updateLoad(_ load: EngineLoad, for id: EngineID, now: UInt64) -> [HealthAction] {
        backends.updateLoad(load, for: id, now: now)
    }

    /// Applies a KV event batch from `id`; nil when `id` is not a member.
    public mutating func apply(_ batch: KVEventBatch, from id: EngineID) -> KVEventAction? {
        guard let slot = backends[id]?.slot else { return nil }
        return prefixIndex.apply(batch, slot: slot)
    }

    /// The KV event stream of `id` was reconnected: clear its entries and subscribe from the start.
    public mutating func kvStreamReconnected(_ id: EngineID) -> KVEventAction? {
        guard let slot = backends[id]?.slot else { return nil }
        return prefixIndex.resync(slot: slot)
    }

    /// Applies a fresh resolution of the DNS name `origin`: adds new addresses, drains vanished ones,
    /// and brings back draining ones that reappeared (as pending, holding no adapter: probably a new process).
    /// Returns what changed.
    public mutating func reconcile(origin: String, resolved: [EngineID], now: UInt64) throws(RouterConfigError)
        -> MembershipChange
    {
        let change = backends.diff(origin: origin, resolved: resolved)
        for id in change.added { _ = try backends.add(id, origin: origin, now: now) }
        for id in change.drained { _ = backends.drain(id, now: now) }
        for id in change.restored {
            backends.restore(id, now: now)
            if let slot = backends[id]?.slot { adapterIndex.clear(slot: slot) }
        }
        return change
    }

    /// Every member with its state, in-flight count and load, in membership order (`ListBackends`).
    public func listBackends() -> [BackendInfo] {
        backends.backends.map { backend in
            BackendInfo(
                id: backend.id, state: backend.health.state, blockReason: backend.health.blockReason,
                inFlight: ledger.inFlight(slot: backend.slot), load: backend.load, origin: backend.origin,
                indexedBlocks: prefixIndex.confirmedCount(slot: backend.slot))
        }
    }

    /// Requests in flight on `id`, sorted (to fail over a hung engine's requests).
    public func requests(on id: EngineID) -> [String] {
        ledger.requests(on: id)
    }
}
