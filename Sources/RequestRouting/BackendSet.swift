import ServingCore

/// The router's membership: the engines it knows, in the order they were added, each with a prefix slot.
///
/// Pure bookkeeping; `RouterCore` keeps the ledger and the prefix index in step with it. It also applies the
/// rules that span engines: `maxEjectionPercent` and the ejection jitter, drawn from a generator seeded by
/// `seed`, so the same events give the same ejection ends.
public struct BackendSet: Sendable {
    public let healthConfig: HealthConfig
    public private(set) var backends: [Backend] = []
    private var positions: [EngineID: Int] = [:]
    private var freeSlots: [Int] = Array((0..<PrefixIndex.maxSlots).reversed())
    private var generator: SplitMix64

    public init(healthConfig: HealthConfig = HealthConfig(), seed: UInt64 = 0) {
        self.healthConfig = healthConfig
        self.generator = SplitMix64(seed: seed ^ 0x5EED_E1EC_7000_0000)
    }

    public var count: Int { backends.count }
    public var ids: [EngineID] { backends.map(\.id) }

    public func contains(_ id: EngineID) -> Bool { positions[id] != nil }

    public subscript(id: EngineID) -> Backend? {
        positions[id].map { backends[$0] }
    }

    /// Adds `id` as pending; returns false when it is already a member.
    public mutating func add(_ id: EngineID, origin: String? = nil, now: UInt64) throws(RouterConfigError) -> Bool {
        guard positions[id] == nil else { return false }
        guard let slot = freeSlots.popLast() else {
            throw .invalid("at most \(PrefixIndex.maxSlots) engines per router; cannot add \(id)")
        }
        positions[id] = backends.count
        backends.append(
            Backend(id: id, slot: slot, origin: origin, health: EngineHealth(config: healthConfig, now: now)))
        return true
    }

    /// Removes `id`; returns its last state, or nil when it was not a member. Its slot becomes free.
    @discardableResult
    public mutating func remove(_ id: EngineID) -> Backend? {
        guard let position = positions.removeValue(forKey: id) else { return nil }
        let backend = backends.remove(at: position)
        for index in position..<backends.count { positions[backends[index].id] = index }
        freeSlots.append(backend.slot)
        return backend
    }

    /// Stops new requests to `id` (its requests in flight continue); `[]` for a non-member.
    public mutating func drain(_ id: EngineID, now: UInt64) -> [HealthAction] {
        handle(.drainRequested, for: id, now: now)
    }

    /// Feeds one health event to `id`'s state machine; nothing happens for a non-member. An error that would
    /// eject the engine gets a permit: refused when the ejection would take the passively ejected engines past
    /// `maxEjectionPercent` of the members, with a fresh jitter fraction otherwise.
    public mutating func handle(_ event: HealthEvent, for id: EngineID, now: UInt64) -> [HealthAction] {
        guard let position = positions[id] else { return [] }
        var permit = EjectionPermit.unlimited
        if event == .transportError || event == .requestTimedOut, backends[position].health.nextErrorEjects {
            permit = EjectionPermit(
                allowed: ejectionAllowed(now: now),
                jitterFraction: Double(generator.next() >> 11) / Double(UInt64(1) << 53))
        }
        return backends[position].health.handle(event, now: now, permit: permit)
    }

    /// Whether one more engine may be passively ejected at `now`: none is yet, or with it at most
    /// `maxEjectionPercent` of the members (draining and removed ones not counted) are inside their ejection.
    public func ejectionAllowed(now: UInt64) -> Bool {
        var members = 0
        var ejected = 0
        for backend in backends where backend.health.state != .draining && backend.health.state != .removed {
            members += 1
            if backend.health.isEjected(at: now) { ejected += 1 }
        }
        return ejected == 0 || Double(ejected + 1) * 100 <= healthConfig.maxEjectionPercent * Double(members)
    }

    /// Stores a load report for `id` and feeds its step counter and step times to the health machine.
    public mutating func updateLoad(_ load: EngineLoad, for id: EngineID, now: UInt64) -> [HealthAction] {
        guard let position = positions[id] else { return [] }
        backends[position].load = load
        backends[position].loadTime = now
        let report = HealthEvent.stepCounterObserved(
            load.stepCounter, hasWork: load.hasWork, inFlight: load.stepInFlight, lastStep: load.lastStep,
            pulling: load.waitingForRemoteKVs > 0)
        return backends[position].health.handle(report, now: now)
    }

    /// Replaces a drained member with a fresh pending one in the same position and slot.
    mutating func restore(_ id: EngineID, now: UInt64) {
        guard let position = positions[id] else { return }
        backends[position].health = EngineHealth(config: healthConfig, now: now)
    }

    /// Compares the members that came from `origin` with a fresh resolution of that name.
    ///
    /// Returns new addresses (to add), vanished ones (to drain) and draining ones that reappeared; it does
    /// not change the set itself — `RouterCore.reconcile` applies the change.
    public func diff(origin: String, resolved: [EngineID]) -> MembershipChange {
        let wanted = Set(resolved)
        var change = MembershipChange()
        for id in resolved where !contains(id) && !change.added.contains(id) { change.added.append(id) }
        for backend in backends where backend.origin == origin {
            let state = backend.health.state
            if !wanted.contains(backend.id), state != .draining, state != .removed { change.drained.append(backend.id) }
            if wanted.contains(backend.id), state == .draining { change.restored.append(backend.id) }
        }
        return change
    }
}
