/// One engine-core in the router's membership: its health, its last load report, and its index slot.
public struct Backend: Sendable {
    public let id: EngineID
    /// The engine's slot in the `PrefixIndex` (stable while it is a member; reused after removal).
    public let slot: Int
    /// The DNS name this engine was resolved from, or nil for a static or admin-added backend.
    public let origin: String?
    public internal(set) var health: EngineHealth
    /// The last load report, nil until the first arrives.
    public internal(set) var load: EngineLoad?
    /// When the last load report arrived (router clock, nanoseconds).
    public internal(set) var loadTime: UInt64?
}

/// What `ListBackends` shows for one engine.
public struct BackendInfo: Sendable, Equatable {
    public var id: EngineID
    public var state: HealthState
    public var blockReason: EjectReason?
    public var inFlight: Int
    public var load: EngineLoad?
    public var origin: String?
    /// Blocks this engine's KV events confirmed in the router's prefix index.
    public var indexedBlocks: Int
}

/// How a re-resolution changed the membership.
public struct MembershipChange: Sendable, Equatable {
    /// Addresses new in the answer: added as pending (probe them).
    public var added: [EngineID] = []
    /// Addresses gone from the answer: draining (finish their requests, then remove them).
    public var drained: [EngineID] = []
    /// Draining addresses that came back: pending again.
    public var restored: [EngineID] = []

    public init(added: [EngineID] = [], drained: [EngineID] = [], restored: [EngineID] = []) {
        self.added = added
        self.drained = drained
        self.restored = restored
    }
}
