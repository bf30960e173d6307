import ServingCore

/// Owns every KV block: ref counts, the free queue in eviction order, and the prefix-cache hash map
/// (docs/scheduling.md §9). The only place block ids are handed out.
///
/// Block 0 is the null block: never allocated, freed or hashed; usable blocks are `numGPUBlocks − 1`.
/// A free block may still carry a hash ("evictable cached block"); its content survives until the block is
/// reused, and a prefix hit `touch`es it back out of the free queue. Freeing follows vLLM's order: hashed
/// blocks are appended (LRU), unhashed ones are prepended (reused first, never a hit).
public final class BlockPool {
    public let numGPUBlocks: Int
    public let enableCaching: Bool
    public let enableKVCacheEvents: Bool
    public static let nullBlockID = 0

    // NOTE: single owner; dynamic exclusivity checks on these hot arrays cost a measurable share of a step.
    @exclusivity(unchecked) public private(set) var freeBlockQueue: FreeKVCacheBlockQueue
    @exclusivity(unchecked) private var refCounts: [Int32]
    @exclusivity(unchecked) private var hashes: [BlockHash?]
    /// Hash → the first block cached under it (vLLM allows duplicates; more sit in `duplicateBlocks`).
    @exclusivity(unchecked) private var cachedBlocks: BlockHashTable
    @exclusivity(unchecked) private var duplicateBlocks: [BlockHash: [Int]] = [:]
    @exclusivity(unchecked) private var events: [KVCacheEvent] = []

    public init(numGPUBlocks: Int, enableCaching: Bool, enableKVCacheEvents: Bool = false) {
        precondition(numGPUBlocks >= 2, "need the null block and at least one usable block")
        self.numGPUBlocks = numGPUBlocks
        self.enableCaching = enableCaching
        self.enableKVCacheEvents = enableKVCacheEvents
        refCounts = Array(repeating: 0, count: numGPUBlocks)
        hashes = Array(repeating: nil, count: numGPUBlocks)
        freeBlockQueue = FreeKVCacheBlockQueue(numBlocks: numGPUBlocks, initialBlocks: 1..<numGPUBlocks)
        // Every block is cached under at most one hash, so the map never holds more entries than blocks.
        cachedBlocks = BlockHashTable(maxEntries: enableCaching ? numGPUBlocks : 0)
    }

    public var numFreeBlocks: Int { freeBlockQueue.numFreeBlocks }

    /// Fraction of usable blocks in use (the null block excluded): `1 − free / (numGPUBlocks − 1)`.
    public var usage: Double { 1.0 - Double(numFreeBlocks) / Double(numGPUBlocks - 1) }

    public func refCount(_ block: Int) -> Int { Int(refCounts[block]) }
    public func blockHash(_ block: Int) -> BlockHash? { hashes[block] }
    /// Number of distinct hashes in the cache map.
    public var numCachedHashes: Int { cachedBlocks.count }
    /// Number of (hash, block) entries in the cache map, duplicates included.
    public var numCachedEntries: Int { cachedBlocks.count + duplicateBlocks.values.reduce(0) { $0 + $1.count } }

    /// A block cached under `hash`, if any (the earliest cached one still present).
    public func cachedBlock(for hash: BlockHash) -> Int? { cachedBlocks[hash] }

    /// Pops `n` blocks from the head of the free queue, evicting their cached hashes; each gets ref count 1.
    public func getNewBlocks(_ n: Int) -> [Int] {
        precondition(n <= numFreeBlocks, "cannot get \(n) free blocks from the pool (\(numFreeBlocks) free)")
        var out: [Int] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            let b = freeBlockQueue.popFirst()
            if hashes[b] != nil { evictCachedBlock(b) }
            precondition(refCounts[b] == 0, "block \(b) on the free queue has ref count \(refCounts[b])")
            refCounts[b] = 1
            out.append(b)
        }
        return out
    }

    /// Adds a reference to each block (a prefix hit), taking evictable ones off the free queue.
    public func touch(_ blocks: some Sequence<Int>) {
        for b in blocks where b != Self.nullBlockID {
            if refCounts[b] == 0 { freeBlockQueue.remove(b) }
            refCounts[b] += 1
        }
    }

    /// Drops one reference from each block, in eviction-priority order (first = evicted first).
    ///
    /// Blocks reaching ref count 0 return to the free queue: hashed ones at the tail (kept for hits, LRU),
    /// unhashed ones (or all, with caching off) at the head so they are reused first.
    public func freeBlocks(_ orderedBlocks: some Sequence<Int>) {
        var evictFirst: [Int] = []
        for b in orderedBlocks where b != Self.nullBlockID {
            precondition(refCounts[b] > 0, "double free of block \(b)")
            refCounts[b] -= 1
            guard refCounts[b] == 0 else { continue }
            if hashes[b] == nil || !enableCaching {
                evictFirst.append(b)
            } else {
                freeBlockQueue.append(b)
            }
        }
        if !evictFirst.isEmpty { freeBlockQueue.prepend(evictFirst) }
    }

    /// Registers blocks `numCachedBlocks..<numFullBlocks` of a request under `blockHashes` (docs/scheduling.md §10).
    public func cacheFullBlocks(
        blocks: [Int], blockHashes: [BlockHash], numCachedBlocks: Int, numFullBlocks: Int, blockSize: Int,
        tokenIDs: [TokenID], loraName: String?
    ) {
        guard numCachedBlocks < numFullBlocks else { return }
        precondition(numFullBlocks <= blockHashes.count && numFullBlocks <= blocks.count, "block without a hash")
        for i in numCachedBlocks..<numFullBlocks {
            let b = blocks[i]
            guard b != Self.nullBlockID else { continue }
            precondition(hashes[b] == nil, "block \(b) is already cached")
            let h = blockHashes[i]
            hashes[b] = h
            if cachedBlocks[h] == nil {
                cachedBlocks[h] = b
            } else {
                duplicateBlocks[h, default: []].append(b)
            }
        }
        if enableKVCacheEvents {
            events.append(
                .blockStored(
                    blockHashes: Array(blockHashes[numCachedBlocks..<numFullBlocks]),
                    parentBlockHash: numCachedBlocks > 0 ? blockHashes[numCachedBlocks - 1] : nil,
                    tokenIDs: Array(tokenIDs[(numCachedBlocks * blockSize)..<(numFullBlocks * blockSize)]),
                    blockSize: blockSize, loraName: loraName))
        }
    }

    /// Clears the cache map and every block hash; false (and nothing changes) while any block is in use.
    public func resetPrefixCache() -> Bool {
        guard numFreeBlocks == numGPUBlocks - 1 else { return false }
        cachedBlocks.removeAll()
        duplicateBlocks.removeAll()
        for i in hashes.indices { hashes[i] = nil }
        if enableKVCacheEvents { events.append(.allBlocksCleared) }
        return true
    }

    /// Takes the events recorded since the last call.
    public func takeEvents() -> [KVCacheEvent] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    private func evictCachedBlock(_ b: Int) {
        guard let h = hashes[b] else { return }
        hashes[b] = nil
        if cachedBlocks[h] == b {
            if var dups = duplicateBlocks[h], !dups.isEmpty {
                cachedBlocks[h] = dups.removeFirst()
                duplicateBlocks[h] = dups.isEmpty ? nil : dups
            } else {
                cachedBlocks[h] = nil
            }
        } else if var dups = duplicateBlocks[h], let i = dups.firstIndex(of: b) {
            dups.remove(at: i)
            duplicateBlocks[h] = dups.isEmpty ? nil : dups
        } else {
            preconditionFailure("block \(b) has a hash but is not in the cache map")
        }
        if enableKVCacheEvents { events.append(.blockRemoved(blockHashes: [h])) }
    }

    /// Checks every structural invariant; traps with a message on the first violation.
    ///
    /// `heldReferences` (block id → number of requests holding it), when given, must equal the ref counts.
    public func checkInvariants(heldReferences: [Int: Int]? = nil) {
        precondition(refCounts[Self.nullBlockID] == 0 && hashes[Self.nullBlockID] == nil, "null block touched")
        precondition(!freeBlockQueue.contains(Self.nullBlockID), "null block on the free queue")
        let forward = freeBlockQueue.blockIDs
        precondition(forward.count == numFreeBlocks, "free count \(numFreeBlocks) != list length \(forward.count)")
        precondition(Array(forward.reversed()) == freeBlockQueue.blockIDsBackwards, "free list links broken")
        precondition(Set(forward).count == forward.count, "a block is twice on the free queue")
        for b in 1..<numGPUBlocks {
            precondition(refCounts[b] >= 0, "negative ref count on block \(b)")
            precondition((refCounts[b] == 0) == freeBlockQueue.contains(b), "block \(b): ref \(refCounts[b]) vs free")
            if let held = heldReferences {
                precondition(
                    Int(refCounts[b]) == held[b, default: 0],
                    "block \(b): ref \(refCounts[b]) but held \(held[b, default: 0])")
            }
            if let h = hashes[b] {
                precondition(
                    cachedBlocks[h] == b || duplicateBlocks[h]?.contains(b) == true, "hashed block \(b) not mapped")
            }
        }
        cachedBlocks.forEach { h, b in precondition(hashes[b] == h, "map entry for block \(b) has a stale hash") }
        for (h, bs) in duplicateBlocks {
            precondition(cachedBlocks[h] != nil && !bs.isEmpty, "duplicates without a primary entry")
            for b in bs { precondition(hashes[b] == h, "duplicate entry for block \(b) has a stale hash") }
        }
    }
}
