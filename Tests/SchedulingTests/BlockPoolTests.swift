import Testing

@testable import Scheduling

@Suite("Block pool and free queue")
struct BlockPoolTests {
    @Test("AC-1 an empty pool has every usable block free, zero usage, and hands out block 1 first")
    func emptyPool() {
        let pool = BlockPool(numGPUBlocks: 11, enableCaching: true)
        #expect(pool.numFreeBlocks == 10)
        #expect(pool.usage == 0)
        #expect(pool.getNewBlocks(1) == [1])
        #expect(abs(pool.usage - 0.1) < 1e-12)
        pool.checkInvariants()
    }

    @Test("AC-2 the free queue pops in id order, removes from the middle, appends at the tail and counts exactly")
    func freeQueue() {
        var q = FreeKVCacheBlockQueue(numBlocks: 6, initialBlocks: 0..<6)
        #expect(q.blockIDs == [0, 1, 2, 3, 4, 5])
        #expect(q.popFirst() == 0)
        q.remove(3)
        #expect(q.blockIDs == [1, 2, 4, 5])
        #expect(q.numFreeBlocks == 4)
        q.append(3)
        #expect(q.blockIDs == [1, 2, 4, 5, 3])
        #expect(q.popFirst(2) == [1, 2])
        #expect(q.blockIDs == [4, 5, 3])
        q.prepend([0, 1])
        #expect(q.blockIDs == [0, 1, 4, 5, 3])
        #expect(q.numFreeBlocks == q.blockIDs.count)
        #expect(q.blockIDsBackwards == [3, 5, 4, 1, 0])
        _ = q.popFirst(5)
        #expect(q.isEmpty && q.blockIDs.isEmpty && q.first == nil)
    }

    @Test("the null block is never handed out, freed or queued")
    func nullBlock() {
        let pool = BlockPool(numGPUBlocks: 3, enableCaching: true)
        let blocks = pool.getNewBlocks(2)
        #expect(blocks == [1, 2])
        pool.freeBlocks([0, 2, 1])
        #expect(pool.refCount(0) == 0)
        #expect(!pool.freeBlockQueue.contains(0))
        pool.checkInvariants()
    }

    @Test("with caching on, unhashed blocks are prepended and hashed ones appended when freed")
    func freeOrder() {
        let pool = BlockPool(numGPUBlocks: 6, enableCaching: true)
        let blocks = pool.getNewBlocks(3)
        let h = TestSupport.hasher.blockHashes(tokenIDs: TestSupport.tokens(0, 32))
        pool.cacheFullBlocks(
            blocks: blocks, blockHashes: h, numCachedBlocks: 0, numFullBlocks: 2, blockSize: 16,
            tokenIDs: TestSupport.tokens(0, 32), loraName: nil)
        pool.freeBlocks(blocks.reversed())
        #expect(pool.freeBlockQueue.blockIDs == [3, 4, 5, 2, 1])
        pool.checkInvariants()
    }

    @Test("with caching off, freed blocks are reused first (prepended in the order given)")
    func freeOrderWithoutCaching() {
        let pool = BlockPool(numGPUBlocks: 6, enableCaching: false)
        let blocks = pool.getNewBlocks(3)
        pool.freeBlocks(blocks.reversed())
        #expect(pool.freeBlockQueue.blockIDs == [3, 2, 1, 4, 5])
    }
}
