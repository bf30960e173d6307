extension PrefixIndex {
    /// Applies one KV event batch from the engine in `slot`, record by record.
    ///
    /// The next record must carry the sequence number after the last one applied; older ones are replays
    /// and are skipped. `allBlocksCleared` and `snapshot` may jump ahead (the engine's answer to a position it no longer
    /// buffers carries its latest number). Any other jump means lost events: the slot's confirmed entries are
    /// cleared and the caller must subscribe again from the start (`from_seq` 0).
    public mutating func apply(_ batch: KVEventBatch, slot: Int) -> KVEventAction {
        var appliedAny = batch.records.isEmpty
        for record in batch.records {
            let last = lastSequence[slot]
            if record.sequenceNumber <= last { continue }
            if record.sequenceNumber != last &+ 1 && !record.event.mayJumpAhead { return resync(slot: slot) }
            apply(record.event, slot: slot)
            lastSequence[slot] = record.sequenceNumber
            appliedAny = true
        }
        return appliedAny ? .applied : .ignoredStale
    }

    /// Clears `slot`'s confirmed entries after a reconnect or a gap; subscribe again from the start.
    public mutating func resync(slot: Int) -> KVEventAction {
        clearConfirmed(slot: slot)
        lastSequence[slot] = 0
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
        case .snapshot(let keys):
            clearConfirmed(slot: slot)
            apply(.blocksStored(keys), slot: slot)
        }
    }
}

extension KVEvent {
    /// The engine's answers to a position it no longer buffers carry its latest sequence number.
    var mayJumpAhead: Bool {
        switch self {
        case .allBlocksCleared, .snapshot: true
        case .blocksStored, .blocksRemoved: false
        }
    }
}
