import Scheduling
import Testing
@testable import Engine

@Suite("Engine state: KV event buffer and snapshot")
struct EngineStateTests {
    static func hash(_ i: UInt64) -> BlockHash { BlockHash(w0: i, w1: ~i, w2: i &* 31, w3: 7) }

    static func events(from first: UInt64, _ events: [KVCacheEvent]) -> [SequencedKVCacheEvent] {
        events.enumerated().map { SequencedKVCacheEvent(sequenceNumber: first + UInt64($0), event: $1) }
    }

    static func stored(_ ids: [UInt64]) -> KVCacheEvent {
        .blockStored(blockHashes: ids.map(hash), parentBlockHash: nil, tokenIDs: [], blockSize: 16, loraName: nil)
    }

    @Test("the snapshot is every stored hash not removed since the last clear, at the newest sequence number")
    func snapshotFollowsEvents() {
        let state = EngineState()
        #expect(state.kvSnapshot().sequence == 0 && state.kvSnapshot().hashes.isEmpty)
        state.update(load: .init(), events: Self.events(from: 1, [Self.stored([1, 2, 3]), .blockRemoved(blockHashes: [Self.hash(2)])]))
        var snapshot = state.kvSnapshot()
        #expect(snapshot.sequence == 2)
        #expect(Set(snapshot.hashes) == [Self.hash(1), Self.hash(3)])
        state.update(load: .init(), events: Self.events(from: 3, [.allBlocksCleared, Self.stored([4])]))
        snapshot = state.kvSnapshot()
        #expect(snapshot.sequence == 4)
        #expect(snapshot.hashes == [Self.hash(4)])
    }

    @Test("a position older than the buffer gives nil (resync); newer ones give the events after it")
    func bufferDropsOldEvents() {
        let state = EngineState(maxBufferedEvents: 3)
        state.update(load: .init(), events: Self.events(from: 1, (1...5).map { Self.stored([$0]) }))
        #expect(state.kvEvents(after: 0) == nil)
        #expect(state.kvEvents(after: 1) == nil)
        #expect(state.kvEvents(after: 2)?.map(\.sequenceNumber) == [3, 4, 5])
        #expect(state.kvEvents(after: 5)?.isEmpty == true)
        // The snapshot still covers what the dropped events stored.
        #expect(Set(state.kvSnapshot().hashes) == Set((1...5).map(Self.hash)))
    }
}
