import Testing

@testable import Wire

@Suite("CArena")
struct CArenaTests {
    @Test("allocations are 16-byte aligned and keep their contents across many chunks")
    func alignedAndStable() {
        let arena = CArena(capacity: 64)
        var blocks: [(UnsafeMutablePointer<UInt32>, Int)] = []
        for i in 0..<5_000 {
            let count = i % 37 + 1
            let p = arena.allocate(UInt32.self, count: count)
            #expect(Int(bitPattern: p) % 16 == 0)
            for j in 0..<count { p[j] = UInt32(i &* 31 &+ j) }
            blocks.append((p, count))
        }
        for (i, (p, count)) in blocks.enumerated() {
            #expect((0..<count).allSatisfy { p[$0] == UInt32(i &* 31 &+ $0) })
        }
    }

    @Test("an allocation larger than the growth step gets a chunk of its own")
    func largeAllocation() {
        let arena = CArena(capacity: 16)
        let small = arena.allocate(UInt8.self, count: 8)
        small.initialize(repeating: 7, count: 8)
        let big = arena.allocate(UInt8.self, count: 10 << 20)
        big.initialize(repeating: 1, count: 10 << 20)
        #expect(big[(10 << 20) - 1] == 1)
        #expect(small[7] == 7)
    }

    @Test("an arena reset between messages encodes each exactly like a fresh one")
    func resetReuse() {
        let arena = CArena(capacity: 32)
        for n in [10, 5_000, 3, 20_000, 0] {
            arena.reset()
            let request = ApusV1.GenerateRequest(requestID: "r\(n)", promptTokenIDs: (0..<n).map { Int32($0) })
            #expect(request.encoded(in: arena) == request.encoded())
        }
    }

    @Test("reset keeps one chunk as large as everything before, and lets go of more than 64 MiB")
    func resetConsolidates() {
        let arena = CArena(capacity: 64)
        for _ in 0..<100 { _ = arena.allocateBytes(100) }
        let before = arena.capacity
        #expect(arena.chunkSizes.count > 1)
        arena.reset()
        #expect(arena.chunkSizes == [before])
        for _ in 0..<100 { _ = arena.allocateBytes(100) }
        #expect(arena.chunkSizes == [before], "a step no larger than the last one needs no new chunk")
        _ = arena.allocateBytes(65 << 20)
        arena.reset()
        #expect(arena.capacity == 0)
        #expect(arena.cString("still works").pointee == CChar(UInt8(ascii: "s")))
    }

    @Test("strings and arrays are copied with a NUL terminator and no aliasing")
    func copies() {
        let arena = CArena()
        let s = arena.cString("héllo")
        #expect(String(cString: s) == "héllo")
        #expect(arena.copy([Int32]()) == nil)
        let tokens: [Int32] = [1, -2, .max]
        let p = arena.copy(tokens)!
        #expect(Array(UnsafeBufferPointer(start: p, count: 3)) == tokens)
    }
}
