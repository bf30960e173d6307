extension PrefixIndex {
    /// Applies one sequenced KV event batch from the engine in `slot`.
    ///
    /// In-order batches (and snapshots, which may skip ahead, see `KVEventBatch`) are applied; older ones
    /// are dropped; a gap
    /// means events were lost, so the slot's confirmed entries are cleared and the caller must subscribe
    /// again from sequence 0.
    public mutating func apply(_ batch: KVEventBatch, slot: Int) -> KVEventAction {
        let expected = nextSequence[slot]
        if batch.sequenceNumber < expected { return .ignoredStale }
        if batch.sequenceNumber > expected && !batch.isSnapshot { return resync(slot: slot) }
        for event in batch.events { apply(event, slot: slot) }
        nextSequence[slot] = batch.sequenceNumber &+ 1
        return .applied
    }

    /// Clears `slot`'s confirmed entries after a reconnect or a gap; subscribe again from the start.
    public mutating func resync(slot: Int) -> KVEventAction {
        clearConfirmed(slot: slot)
        nextSequence[slot] = 0
        return .resubscribe(fromSequence: 0)
    }

    static func markConfirmed(_ entry: inout Holders, bit: UInt64) {
        entry.confirmed |= bit
        entry.speculative &= ~bit
    }

    mutating func apply(_ event: KVEvent, slot: Int) {
        let bit: UInt64 = 1 << UInt64(slot)
        switch event {
        case .blocksStored(let keys):
            for key in keys where confirmedBySlot[slot].insert(key).inserted {
                Self.markConfirmed(&holders[key, default: Holders()], bit: bit)
            }
        case .blocksRemoved(let keys):
            for key in keys {
                confirmedBySlot[slot].remove(key)
                clearBits(key, confirmed: bit, speculative: bit)
            }
        case .allBlocksCleared:
            clearConfirmed(slot: slot)
        }
    }
}
