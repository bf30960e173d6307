import ServingCore

/// A change to the prefix cache that external consumers (a prefix-aware router) follow (docs/scheduling.md §10).
public enum KVCacheEvent: Sendable, Hashable {
    /// Full blocks were registered in the cache, in chain order; `parentBlockHash` is nil for block 0.
    case blockStored(
        blockHashes: [BlockHash], parentBlockHash: BlockHash?, tokenIDs: [TokenID], blockSize: Int, loraName: String?)
    /// Cached blocks were evicted (their slots reused).
    case blockRemoved(blockHashes: [BlockHash])
    /// The whole prefix cache was reset.
    case allBlocksCleared
}

/// A KV-cache event with its sequence number; numbers increase by one per event, starting at 1.
public struct SequencedKVCacheEvent: Sendable, Hashable {
    public var sequenceNumber: UInt64
    public var event: KVCacheEvent

    public init(sequenceNumber: UInt64, event: KVCacheEvent) {
        self.sequenceNumber = sequenceNumber
        self.event = event
    }
}
