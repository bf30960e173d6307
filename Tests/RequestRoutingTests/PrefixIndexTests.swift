import RequestRouting
import Testing

@Suite("PrefixIndex")
struct PrefixIndexTests {
    static let chain = SimHashes.chain(SimHashes.contents(7, count: 10))

    static func matches(_ index: PrefixIndex, _ hashes: [BlockHashKey], slots: [Int]) -> [Int: Int] {
        var result: [Int: Int] = [:]
        index.matchedBlocks(hashes, slots: slots.reduce(0) { $0 | (1 << UInt64($1)) }) { result[$0] = $1 }
        return result
    }

    @Test("stored events make an engine match the longest stored prefix of a chain")
    func storedPrefixMatches() {
        var index = PrefixIndex()
        #expect(
            index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Array(Self.chain[0..<6]))]), slot: 0)
                == .applied)
        #expect(
            index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Array(Self.chain[0..<3]))]), slot: 5)
                == .applied)
        #expect(Self.matches(index, Self.chain, slots: [0, 1, 5]) == [0: 6, 1: 0, 5: 3])
        #expect(Self.matches(index, Array(Self.chain[0..<4]), slots: [0, 5]) == [0: 4, 5: 3])
        index.checkInvariants()
    }

    @Test("every match length from 0 to the full chain is found exactly")
    func everyLength() {
        for length in 0...Self.chain.count {
            var index = PrefixIndex()
            _ = index.apply(
                KVEventBatch(firstSequence: 1, events: [.blocksStored(Array(Self.chain[0..<length]))]), slot: 3)
            #expect(Self.matches(index, Self.chain, slots: [3]) == [3: length])
        }
    }

    @Test("removed and cleared events take blocks away")
    func removeAndClear() {
        var index = PrefixIndex()
        _ = index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Self.chain)]), slot: 0)
        _ = index.apply(KVEventBatch(firstSequence: 2, events: [.blocksRemoved(Array(Self.chain[4...]))]), slot: 0)
        #expect(Self.matches(index, Self.chain, slots: [0]) == [0: 4])
        _ = index.apply(KVEventBatch(firstSequence: 3, events: [.allBlocksCleared]), slot: 0)
        #expect(Self.matches(index, Self.chain, slots: [0]) == [0: 0])
        #expect(index.count == 0)
        index.checkInvariants()
    }

    @Test("a sequence gap clears the engine and asks to resubscribe from the start; stale batches are dropped")
    func gapTriggersResync() {
        var index = PrefixIndex()
        _ = index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Self.chain)]), slot: 2)
        #expect(index.apply(KVEventBatch(firstSequence: 1, events: [.allBlocksCleared]), slot: 2) == .ignoredStale)
        let afterGap = KVEventBatch(firstSequence: 6, events: [.blocksRemoved([])])
        #expect(index.apply(afterGap, slot: 2) == .resubscribe(fromSequence: 0))
        #expect(Self.matches(index, Self.chain, slots: [2]) == [2: 0])
        #expect(index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Self.chain)]), slot: 2) == .applied)
        #expect(Self.matches(index, Self.chain, slots: [2]) == [2: 10])
    }

    @Test("a cleared event may jump ahead: the engine's answer to a position it no longer buffers")
    func snapshotAfterResync() {
        var index = PrefixIndex()
        #expect(index.resync(slot: 1) == .resubscribe(fromSequence: 0))
        let snapshot = KVEventBatch(firstSequence: 901, events: [.allBlocksCleared, .blocksStored(Self.chain)])
        #expect(index.apply(snapshot, slot: 1) == .applied)
        #expect(Self.matches(index, Self.chain, slots: [1]) == [1: 10])
        #expect(index.apply(KVEventBatch(firstSequence: 903, events: [.blocksRemoved([])]), slot: 1) == .applied)
        #expect(index.apply(KVEventBatch(firstSequence: 905, events: [.blocksRemoved([])]), slot: 1) != .applied)
    }

    @Test("a snapshot jumps ahead and replaces the slot's entries with exactly the listed blocks")
    func snapshotReplacesEntries() {
        var index = PrefixIndex()
        _ = index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Self.chain)]), slot: 3)
        // The engine evicted the tail and the router missed those events: the snapshot lists the first 4 only.
        let snapshot = KVEventBatch(firstSequence: 700, events: [.snapshot(Array(Self.chain[0..<4]))])
        #expect(index.apply(snapshot, slot: 3) == .applied)
        #expect(Self.matches(index, Self.chain, slots: [3]) == [3: 4])
        #expect(index.apply(KVEventBatch(firstSequence: 701, events: [.blocksStored(Self.chain)]), slot: 3) == .applied)
        #expect(Self.matches(index, Self.chain, slots: [3]) == [3: 10])
        #expect(index.apply(KVEventBatch(firstSequence: 703, events: [.blocksRemoved([])]), slot: 3) != .applied)
    }

    @Test("speculative entries match at once and expire after their deadline unless an event confirms them")
    func speculativeLifecycle() {
        var index = PrefixIndex()
        index.insertSpeculative(Self.chain, from: 0, slot: 4, deadline: 100)
        #expect(Self.matches(index, Self.chain, slots: [4]) == [4: 10])
        _ = index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Array(Self.chain[0..<5]))]), slot: 4)
        index.expireSpeculative(now: 99)
        #expect(Self.matches(index, Self.chain, slots: [4]) == [4: 10])
        index.expireSpeculative(now: 100)
        #expect(Self.matches(index, Self.chain, slots: [4]) == [4: 5])
        index.checkInvariants()
    }

    @Test("clearing a slot leaves the other engines' entries alone")
    func clearSlot() {
        var index = PrefixIndex()
        _ = index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Self.chain)]), slot: 0)
        _ = index.apply(KVEventBatch(firstSequence: 1, events: [.blocksStored(Self.chain)]), slot: 1)
        index.insertSpeculative(SimHashes.chain(SimHashes.contents(8, count: 3)), from: 0, slot: 0, deadline: 10)
        index.clear(slot: 0)
        #expect(Self.matches(index, Self.chain, slots: [0, 1]) == [0: 0, 1: 10])
        #expect(index.count == 10)
        index.checkInvariants()
    }

    @Test("a block hash key round-trips its 32 bytes")
    func keyBytes() {
        let bytes = (0..<32).map { UInt8($0 * 7 + 1) }
        let key = BlockHashKey(bytes: bytes)
        #expect(key.bytes == bytes)
        #expect(key.w0 == 0x322B_241D_160F_0801, "little-endian words, like Scheduling.BlockHash")
        #expect(BlockHashKey(bytes: bytes) == key)
    }
}
