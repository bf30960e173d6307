/// One change to an engine's prefix cache, as `Engine.SubscribeKVEvents` reports it.
public enum KVEvent: Sendable, Equatable {
    /// Full blocks with these chained hashes are now cached (in chain order).
    case blocksStored([BlockHashKey])
    /// These blocks were evicted.
    case blocksRemoved([BlockHashKey])
    /// The whole prefix cache was dropped, or the engine could not replay from the requested position.
    case allBlocksCleared
    /// The engine could not replay from the requested position; its cache holds exactly these blocks.
    case snapshot([BlockHashKey])
}

/// One message of an engine's KV event stream: events with their sequence numbers.
///
/// Contract with the engine's `SubscribeKVEvents(from_seq)` (engine.proto): sequence numbers grow by one
/// per event starting at 1; a subscription delivers the events after `from_seq`; when the engine no longer
/// buffers them it sends `snapshot` (or `allBlocksCleared` when the cache is too large to list) carrying its latest
/// sequence number and continues from there.
public struct KVEventBatch: Sendable, Equatable {
    public struct Record: Sendable, Equatable {
        public var sequenceNumber: UInt64
        public var event: KVEvent

        public init(sequenceNumber: UInt64, event: KVEvent) {
            self.sequenceNumber = sequenceNumber
            self.event = event
        }
    }

    public var records: [Record]

    public init(records: [Record]) {
        self.records = records
    }

    /// Events numbered consecutively from `firstSequence`.
    public init(firstSequence: UInt64, events: [KVEvent]) {
        self.records = events.enumerated().map { Record(sequenceNumber: firstSequence + UInt64($0), event: $1) }
    }
}

/// What the router must do with an engine's KV event subscription after a batch or a reconnect.
public enum KVEventAction: Sendable, Equatable {
    /// The batch was applied in order (records already seen were skipped).
    case applied
    /// Every record was one already applied (a replay); nothing changed.
    case ignoredStale
    /// A gap or a reconnect: the engine's entries were cleared; subscribe again after this sequence number.
    case resubscribe(fromSequence: UInt64)
}
