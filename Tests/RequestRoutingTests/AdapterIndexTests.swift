import RequestRouting
import Testing

@Suite("Adapter index")
struct AdapterIndexTests {
    static let a = AdapterIndex.key("a")
    static let b = AdapterIndex.key("b")
    static let c = AdapterIndex.key("c")
    static let d = AdapterIndex.key("d")

    @Test("an engine holds the last K distinct adapters it was sent, and evicts the least recently sent")
    func lastKDistinct() {
        var index = AdapterIndex(adaptersPerEngine: 3)
        #expect(index.record(Self.a, slot: 0) == nil)
        #expect(index.record(Self.b, slot: 0) == nil)
        #expect(index.record(Self.c, slot: 0) == nil)
        #expect(index.adapters(slot: 0) == [Self.a, Self.b, Self.c])
        #expect(index.record(Self.a, slot: 0) == nil, "sending a again makes it the most recent")
        #expect(index.adapters(slot: 0) == [Self.b, Self.c, Self.a])
        #expect(index.record(Self.d, slot: 0) == Self.b)
        #expect(!index.holds(Self.b, slot: 0))
        #expect(index.holds(Self.a, slot: 0) && index.holds(Self.c, slot: 0) && index.holds(Self.d, slot: 0))
        index.checkInvariants()
    }

    @Test("an engine has room for one more adapter while it holds fewer than K or its least recent is held elsewhere")
    func room() {
        var index = AdapterIndex(adaptersPerEngine: 2)
        index.record(Self.a, slot: 0)
        #expect(index.hasRoom(slot: 0), "one of two places is free")
        index.record(Self.b, slot: 0)
        index.record(Self.a, slot: 1)
        #expect(index.hasRoom(slot: 0), "its least recent adapter, a, is also on slot 1")
        index.record(Self.c, slot: 0)
        #expect(!index.hasRoom(slot: 0), "loading a third would evict b, held nowhere else")
        #expect(index.hasRoom(slot: 1) && index.hasRoom(slot: 9))
    }

    @Test("holders are a bit set over slots, and clearing a slot forgets only that engine")
    func holdersAndClear() {
        var index = AdapterIndex(adaptersPerEngine: 4)
        index.record(Self.a, slot: 0)
        index.record(Self.a, slot: 5)
        index.record(Self.b, slot: 5)
        index.record(Self.c, slot: 63)
        #expect(index.holders(of: Self.a) == 1 | 1 << 5)
        #expect(index.holders(of: Self.c) == 1 << 63)
        index.clear(slot: 5)
        #expect(index.holders(of: Self.a) == 1)
        #expect(index.holders(of: Self.b) == 0)
        #expect(index.adapters(slot: 5).isEmpty)
        #expect(index.count == 2)
        index.checkInvariants()
    }

    @Test("memory stays bounded by slots × K however many adapters pass through")
    func bounded() {
        var index = AdapterIndex(adaptersPerEngine: 4)
        for step in 0..<10_000 {
            index.record(AdapterIndex.key("adapter-\(step % 997)"), slot: step % 64)
        }
        #expect(index.count <= 64 * 4)
        for slot in 0..<64 { #expect(index.adapters(slot: slot).count == 4) }
        index.checkInvariants()
    }

    @Test("the key of an adapter is the same in every process and router replica")
    func stableKeys() {
        #expect(AdapterIndex.key("sql-lora") == StableHash.hash("sql-lora"))
        #expect(AdapterIndex.key("sql-lora") != AdapterIndex.key("sql-lora-2"))
    }
}
