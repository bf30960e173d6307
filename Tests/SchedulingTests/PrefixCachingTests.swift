import ServingCore
import Testing

@testable import Scheduling

@Suite("KV cache manager and prefix caching")
struct PrefixCachingTests {
    let common = TestSupport.tokens(0, 48)

    @Test("AC-3 a first request misses, gets blocks 1–4, and only its full blocks carry chained hashes")
    func firstRequest() {
        let m = TestSupport.manager()
        let r0 = TestSupport.request("0", common + TestSupport.tokens(1000, 7))
        #expect(r0.blockHashes.count == 3)
        let (hit, new) = TestSupport.admit(m, r0)
        #expect(hit.isEmpty)
        #expect(new == [1, 2, 3, 4])
        let pool = m.blockPool
        #expect((1...3).map { pool.blockHash($0) } == r0.blockHashes.map { Optional($0) })
        #expect(pool.blockHash(4) == nil)
        #expect((1...4).allSatisfy { pool.refCount($0) == 1 })
        pool.checkInvariants()
    }

    @Test("AC-4 AC-5 AC-6 AC-7 a shared prefix hits, frees in 0.27 order, and a miss takes blocks in queue order")
    func sharedPrefixAndEviction() {
        let m = TestSupport.manager()
        let pool = m.blockPool
        let r0 = TestSupport.request("0", common + TestSupport.tokens(1000, 7))
        TestSupport.admit(m, r0)
        // AC-4
        let r1 = TestSupport.request("1", common + TestSupport.tokens(2000, 5))
        let (hit1, new1) = TestSupport.admit(m, r1)
        #expect(hit1 == [1, 2, 3])
        #expect(new1 == [5])
        #expect((1...3).allSatisfy { pool.refCount($0) == 2 })
        #expect(m.numFreeBlocks == 5)
        // AC-5
        m.free(r0)
        m.free(r1)
        #expect(m.numFreeBlocks == 10)
        #expect(pool.freeBlockQueue.blockIDs == [5, 4, 6, 7, 8, 9, 10, 3, 2, 1])
        // AC-6
        let r2 = TestSupport.request("2", common + TestSupport.tokens(3000, 6))
        let (hit2, new2) = TestSupport.admit(m, r2)
        #expect(hit2 == [1, 2, 3])
        #expect((1...3).allSatisfy { pool.refCount($0) == 1 })
        #expect(new2 == [5])
        #expect(m.numFreeBlocks == 6)
        // AC-7
        m.free(r2)
        let r3 = TestSupport.request("3", Array(repeating: 99, count: 160))
        let (hit3, new3) = TestSupport.admit(m, r3)
        #expect(hit3.isEmpty)
        #expect(new3 == [5, 4, 6, 7, 8, 9, 10, 3, 2, 1])
        #expect(pool.freeBlockQueue.isEmpty)
        #expect(r0.blockHashes.allSatisfy { pool.cachedBlock(for: $0) == nil })
        pool.checkInvariants()
    }

    @Test("AC-8 decode growth allocates only when a block fills, and hashes the block it fills")
    func decodeGrowth() {
        let m = TestSupport.manager()
        let r = TestSupport.request("0", common + TestSupport.tokens(1000, 7))
        TestSupport.admit(m, r)
        for t in 0..<4 { r.appendOutputToken(TokenID(5000 + t)) }
        #expect(m.allocateSlots(r, numNewTokens: 4) == [])
        r.advanceComputedTokens(by: 4)
        #expect(m.blockPool.blockHash(4) == nil)
        for t in 0..<19 { r.appendOutputToken(TokenID(6000 + t)) }
        #expect(r.numTokens == 78)
        let new = m.allocateSlots(r, numNewTokens: 19)
        #expect(new?.count == 1)
        #expect(m.blockPool.blockHash(4) == r.blockHashes[3])
        #expect(m.blockPool.blockHash(new![0]) == nil)
    }

    @Test("AC-9 freed blocks go back least-shared first and a partial hit takes the head block")
    func lruReverseFree() {
        let m = TestSupport.manager()
        let pool = m.blockPool
        let r0 = TestSupport.request("0", TestSupport.tokens(0, 87))
        #expect(TestSupport.admit(m, r0).new == [1, 2, 3, 4, 5, 6])
        let r1 = TestSupport.request("1", TestSupport.tokens(1000, 48))
        #expect(TestSupport.admit(m, r1).new == [7, 8, 9])
        #expect(pool.freeBlockQueue.blockIDs == [10])
        m.free(r0)
        #expect(pool.freeBlockQueue.blockIDs == [6, 10, 5, 4, 3, 2, 1])
        m.free(r1)
        #expect(pool.freeBlockQueue.blockIDs == [6, 10, 5, 4, 3, 2, 1, 9, 8, 7])
        let r2 = TestSupport.request("2", TestSupport.tokens(0, 32) + TestSupport.tokens(3000, 3))
        let (hit, new) = TestSupport.admit(m, r2)
        #expect(hit == [1, 2])
        #expect(new == [6])
        #expect(m.numFreeBlocks == 7)
    }

    @Test("AC-10 reusing a cached block for a partial block clears its hash")
    func reuseClearsHash() {
        let m = TestSupport.manager(numGPUBlocks: 2)
        let r0 = TestSupport.request("0", TestSupport.tokens(0, 16))
        TestSupport.admit(m, r0)
        #expect(m.blockPool.blockHash(1) != nil)
        m.free(r0)
        let r1 = TestSupport.request("1", TestSupport.tokens(500, 5))
        #expect(TestSupport.admit(m, r1).new == [1])
        #expect(m.blockPool.blockHash(1) == nil)
        #expect(m.blockPool.numCachedHashes == 0)
    }

    @Test("AC-11 a request never evicts its own hit block")
    func neverEvictOwnHit() {
        let m = TestSupport.manager(numGPUBlocks: 3)
        let p = TestSupport.tokens(0, 16)
        let a = TestSupport.request("a", p)
        TestSupport.admit(m, a)
        m.free(a)
        let b = TestSupport.request("b", TestSupport.tokens(100, 16))
        TestSupport.admit(m, b)
        m.free(b)
        #expect(m.blockPool.freeBlockQueue.blockIDs == [1, 2])
        let c = TestSupport.request("c", p + TestSupport.tokens(200, 16))
        let (hit, new) = TestSupport.admit(m, c)
        #expect(hit == [1])
        #expect(new == [2])
        #expect(c.blockIDs == [1, 2])
    }

    @Test("AC-12 with caching disabled nothing hits and a full pool refuses allocation")
    func cachingDisabled() {
        let m = TestSupport.manager(numGPUBlocks: 3, caching: false)
        let a = TestSupport.request("a", common, hasher: nil)
        let b = TestSupport.request("b", common, hasher: nil)
        #expect(TestSupport.admit(m, a).new == nil)  // 3 blocks, only 2 usable
        let small = TestSupport.request("s", TestSupport.tokens(0, 32), hasher: nil)
        #expect(TestSupport.admit(m, small).new == [1, 2])
        #expect(m.getComputedBlocks(b).numComputedTokens == 0)
        let c = TestSupport.request("c", TestSupport.tokens(0, 1), hasher: nil)
        #expect(m.allocateSlots(c, numNewTokens: 1) == nil)
    }

    @Test("AC-13 a fully cached prompt of three blocks hits two and recomputes the last block")
    func lastTokenRule() {
        let m = TestSupport.manager()
        let a = TestSupport.request("a", common)
        TestSupport.admit(m, a)
        let b = TestSupport.request("b", common)
        let (blocks, tokens) = m.getComputedBlocks(b)
        #expect(blocks == [1, 2])
        #expect(tokens == 32)
    }

    @Test("AC-14 a failed allocation leaves ref counts and the free queue untouched")
    func failedAllocationHasNoSideEffects() {
        let m = TestSupport.manager(numGPUBlocks: 5)
        let a = TestSupport.request("a", common)
        TestSupport.admit(m, a)
        m.free(a)
        let queueBefore = m.blockPool.freeBlockQueue.blockIDs
        let b = TestSupport.request("b", common + TestSupport.tokens(900, 40))
        let (hit, tokens) = m.getComputedBlocks(b)
        #expect(hit == [1, 2, 3])
        #expect(
            m.allocateSlots(b, numNewTokens: b.numTokens - tokens, numNewComputedTokens: tokens, newComputedBlocks: hit)
                == nil)
        #expect(m.blockPool.freeBlockQueue.blockIDs == queueBefore)
        #expect((1...4).allSatisfy { m.blockPool.refCount($0) == 0 })
        #expect(b.blockIDs.isEmpty)
        m.blockPool.checkInvariants()
    }

    @Test("AC-15 caching full blocks adds one map entry per new full block, chained on the previous hash")
    func cacheFullBlocks() {
        let pool = BlockPool(numGPUBlocks: 11, enableCaching: true)
        let tokens = TestSupport.tokens(0, 48)
        let hashes = TestSupport.hasher.blockHashes(tokenIDs: tokens)
        let blocks = pool.getNewBlocks(3)
        pool.cacheFullBlocks(
            blocks: blocks, blockHashes: hashes, numCachedBlocks: 0, numFullBlocks: 2, blockSize: 16,
            tokenIDs: tokens, loraName: nil)
        #expect(pool.numCachedEntries == 2)
        pool.cacheFullBlocks(
            blocks: blocks, blockHashes: hashes, numCachedBlocks: 2, numFullBlocks: 3, blockSize: 16,
            tokenIDs: tokens, loraName: nil)
        #expect(pool.numCachedEntries == 3)
        let third = Array(tokens[32..<48]).withUnsafeBufferPointer {
            TestSupport.hasher.hashBlock(parent: hashes[1], tokens: $0, loraName: nil, cacheSalt: nil)
        }
        #expect(pool.blockHash(blocks[2]) == third)
    }

    @Test("AC-16 cache_salt keys block 0 only; the same salt hits, a different salt misses")
    func cacheSalt() {
        let tokens = TestSupport.tokens(0, 50)
        let salted = TestSupport.request("s", tokens, cacheSalt: "salt1")
        let plain = TestSupport.hasher.blockHashes(tokenIDs: tokens)
        let first = Array(tokens[0..<16]).withUnsafeBufferPointer {
            TestSupport.hasher.hashBlock(
                parent: TestSupport.hasher.rootHash, tokens: $0, loraName: nil, cacheSalt: "salt1")
        }
        let second = Array(tokens[16..<32]).withUnsafeBufferPointer {
            TestSupport.hasher.hashBlock(parent: first, tokens: $0, loraName: nil, cacheSalt: nil)
        }
        #expect(salted.blockHashes[0] == first && salted.blockHashes[0] != plain[0])
        #expect(salted.blockHashes[1] == second)
        let m = TestSupport.manager()
        TestSupport.admit(m, salted)
        #expect(m.getComputedBlocks(TestSupport.request("a", tokens, cacheSalt: "salt1")).numComputedTokens == 48)
        #expect(m.getComputedBlocks(TestSupport.request("b", tokens, cacheSalt: "salt2")).numComputedTokens == 0)
    }

    // AC-17 (multimodal extra keys) is out of scope for the first Swift version (docs/scheduling.md §16).

    @Test("AC-18 AC-19 a prompt-logprobs request never hits but caches; duplicates live and die one by one")
    func promptLogprobsAndDuplicates() {
        let m = TestSupport.manager()
        let pool = m.blockPool
        let a = TestSupport.request("a", common + [1])
        TestSupport.admit(m, a)
        let b = TestSupport.request("b", common + [1], promptLogprobs: 1)
        #expect(m.getComputedBlocks(b).numComputedTokens == 0)
        #expect(TestSupport.admit(m, b).new == [5, 6, 7, 8])
        // AC-18: equal hashes on two blocks coexist, and a later normal request hits.
        #expect(pool.numCachedHashes == 3 && pool.numCachedEntries == 6)
        #expect(m.getComputedBlocks(TestSupport.request("c", common + [2])).blocks == [1, 2, 3])
        // AC-19: evicting one copy keeps the hash mapped to the other; the last eviction removes it.
        m.free(a)
        m.free(b)
        #expect(pool.freeBlockQueue.blockIDs == [8, 4, 9, 10, 3, 2, 1, 7, 6, 5])
        let filler = TestSupport.request("f", TestSupport.tokens(7000, 16 * 6))
        #expect(TestSupport.admit(m, filler).new == [8, 4, 9, 10, 3, 2])
        #expect(pool.cachedBlock(for: a.blockHashes[1]) == 6)
        #expect(pool.cachedBlock(for: a.blockHashes[2]) == 7)
        #expect(pool.cachedBlock(for: a.blockHashes[0]) == 1)
        pool.checkInvariants()
        m.free(filler)
        let g = TestSupport.request("g", TestSupport.tokens(8000, 16))
        #expect(TestSupport.admit(m, g).new == [1])
        #expect(pool.cachedBlock(for: a.blockHashes[0]) == 5)
        let h = TestSupport.request("h", TestSupport.tokens(9000, 48))
        #expect(TestSupport.admit(m, h).new == [7, 6, 5])
        #expect(a.blockHashes.allSatisfy { pool.cachedBlock(for: $0) == nil })
        pool.checkInvariants()
    }

    @Test("AC-20 resetting the prefix cache fails while blocks are held and clears every hash after")
    func resetPrefixCache() {
        let m = TestSupport.manager()
        let a = TestSupport.request("a", common)
        TestSupport.admit(m, a)
        #expect(!m.resetPrefixCache())
        #expect(m.blockPool.numCachedHashes == 3)
        m.free(a)
        #expect(m.resetPrefixCache())
        #expect(m.blockPool.numCachedHashes == 0)
        #expect((1...10).allSatisfy { m.blockPool.blockHash($0) == nil })
        #expect(m.takePrefixCacheStats().reset)
    }

    @Test("AC-21 KV events: one stored event per allocation, removals on eviction, cleared on reset, in sequence")
    func kvEvents() {
        let n = 4
        let m = TestSupport.manager(numGPUBlocks: n + 1, events: true)
        let tokens = TestSupport.tokens(0, 16 * n)
        let a = TestSupport.request("a", tokens)
        TestSupport.admit(m, a)
        let first = m.takeEvents()
        #expect(first.count == 1)
        guard case .blockStored(let hashes, let parent, let ids, let size, _) = first[0].event else {
            Issue.record("expected BlockStored")
            return
        }
        #expect(hashes == a.blockHashes && parent == nil && ids == tokens && size == 16)
        #expect(m.takeEvents().isEmpty)
        m.free(a)
        let b = TestSupport.request("b", tokens)
        #expect(m.allocateSlots(b, numNewTokens: b.numTokens) != nil)  // no lookup: evicts all four
        let second = m.takeEvents()
        #expect(second.count == n + 1)
        #expect(second.prefix(n).allSatisfy { if case .blockRemoved = $0.event { true } else { false } })
        if case .blockStored = second[n].event {} else { Issue.record("expected BlockStored last") }
        m.free(b)
        #expect(m.resetPrefixCache())
        let third = m.takeEvents()
        #expect(third.map(\.event) == [.allBlocksCleared])
        let seqs = (first + second + third).map(\.sequenceNumber)
        #expect(seqs == Array(1...UInt64(seqs.count)))
    }

    @Test("AC-22 the hit rate covers the most recent 1000 requests and a reset clears it")
    func hitRateWindow() {
        var rate = PrefixCacheHitRate(maxRecentRequests: 1000)
        var batch = PrefixCacheStats()
        batch.requests = 600
        batch.queries = 600
        batch.hits = 600
        rate.observe(batch)
        var misses = PrefixCacheStats()
        misses.requests = 600
        misses.queries = 600
        rate.observe(misses)
        #expect(rate.aggregatedRequests == 600)
        #expect(rate.hitRate == 0)
        rate.observe(PrefixCacheStats())  // empty batches do not displace history
        #expect(rate.aggregatedRequests == 600)
        var reset = PrefixCacheStats()
        reset.reset = true
        reset.requests = 1
        reset.queries = 10
        reset.hits = 5
        rate.observe(reset)
        #expect(rate.aggregatedRequests == 1 && rate.hitRate == 0.5)
    }
}
