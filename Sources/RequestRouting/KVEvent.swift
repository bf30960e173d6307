/// One change to an engine's prefix cache, as `Engine.SubscribeKVEvents` reports it.
public enum KVEvent: Sendable, Equatable {
    /// Full blocks with these chained hashes are now cached (in chain order).
    case blocksStored([BlockHashKey])
    /// These blocks were evicted.
    case blocksRemoved([BlockHashKey])
    /// The whole prefix cache was dropped (e.g. a runner lost its KV memory).
    case allBlocksCleared
}

/// A sequenced batch of KV events from one engine.
///
/// Contract with the engine's `SubscribeKVEvents(from_seq)`: batches carry consecutive sequence numbers
/// starting at `from_seq`; an engine that can no longer replay from there starts with a batch whose first
/// event is `allBlocksCleared` followed by its whole cache (a snapshot), whatever its sequence number.
public struct KVEventBatch: Sendable, Equatable {
    public var sequenceNumber: UInt64
    public var events: [KVEvent]

    public init(sequenceNumber: UInt64, events: [KVEvent]) {
        self.sequenceNumber = sequenceNumber
        self.events = events
    }

    /// Whether the batch resets the engine's whole state, so it may follow any sequence number.
    public var isSnapshot: Bool { events.first == .allBlocksCleared }
}

/// What the router must do with an engine's KV event subscription after a batch or a reconnect.
public enum KVEventAction: Sendable, Equatable {
    /// The batch was applied in order.
    case applied
    /// A replayed batch older than the next expected one; dropped.
    case ignoredStale
    /// A gap or a reconnect: the engine's entries were cleared; subscribe again from this sequence number.
    case resubscribe(fromSequence: UInt64)
}
