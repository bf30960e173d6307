import ServingCore

/// The engine-core's view of KV memory for full-attention models (docs/scheduling.md §9–§10): prefix-cache
/// lookup, slot allocation, caching of newly full blocks, freeing, and the events and stats around them.
///
/// A request's block list lives on the request (`Request.blockIDs`); this type is the only one that changes it.
public final class KVCacheManager {
    public let blockSize: Int
    public let maxModelLen: Int
    public let enableCaching: Bool
    public let blockPool: BlockPool
    /// Stats since the last `takePrefixCacheStats()`.
    @exclusivity(unchecked) public private(set) var prefixCacheStats = PrefixCacheStats()
    /// Totals since start (never reset), for load reports.
    @exclusivity(unchecked) public private(set) var totalPrefixCacheQueries = 0
    @exclusivity(unchecked) public private(set) var totalPrefixCacheHits = 0
    @exclusivity(unchecked) private var nextEventSequenceNumber: UInt64 = 1

    public init(
        numGPUBlocks: Int, blockSize: Int, maxModelLen: Int, enableCaching: Bool = true,
        enableKVCacheEvents: Bool = false
    ) {
        self.blockSize = blockSize
        self.maxModelLen = maxModelLen
        self.enableCaching = enableCaching
        self.blockPool = BlockPool(
            numGPUBlocks: numGPUBlocks, enableCaching: enableCaching, enableKVCacheEvents: enableKVCacheEvents)
    }

    /// Fraction of usable blocks in use.
    public var usage: Double { blockPool.usage }
    public var numFreeBlocks: Int { blockPool.numFreeBlocks }

    /// The longest run of cached full blocks at the start of the request, and the tokens they cover.
    ///
    /// The last token is never a hit (its logits are needed), so at most `numTokens − 1` tokens, rounded
    /// down to whole blocks, are returned. A pure query: ref counts and the free queue are not touched.
    public func getComputedBlocks(_ request: Request) -> (blocks: [Int], numComputedTokens: Int) {
        guard enableCaching, !request.skipReadingPrefixCache else { return ([], 0) }
        let maxBlocks = min((request.numTokens - 1) / blockSize, request.blockHashes.count)
        var blocks: [Int] = []
        for i in 0..<maxBlocks {
            guard let b = blockPool.cachedBlock(for: request.blockHashes[i]) else { break }
            blocks.append(b)
        }
        return (blocks, blocks.count * blockSize)
    }

    /// Gives the request slots for `numNewTokens` more tokens after its computed ones and any new prefix
    /// hits; returns the newly allocated blocks, or nil with no side effect when there are not enough free
    /// blocks. With `delayCaching` the new blocks are not registered in the prefix cache (a KV pull fills them).
    ///
    /// With `fullSequenceMustFit` (admissions, vLLM 0.33's reserve-full-sequence rule) it first checks that the
    /// request's whole current sequence, capped at `maxModelLen`, fits. Blocks that become full with this
    /// step's tokens are registered in the prefix cache right away.
    public func allocateSlots(
        _ request: Request, numNewTokens: Int, numNewComputedTokens: Int = 0, newComputedBlocks: [Int] = [],
        numLookaheadTokens: Int = 0, fullSequenceMustFit: Bool = false, delayCaching: Bool = false
    ) -> [Int]? {
        precondition(numNewTokens > 0 || numNewComputedTokens > 0, "nothing to allocate")
        let numLocalComputed = request.numComputedTokens + numNewComputedTokens
        let totalComputed = min(numLocalComputed, maxModelLen)
        // Fast path (most decode steps): the request's blocks already have room for this step.
        if newComputedBlocks.isEmpty && !fullSequenceMustFit
            && min(totalComputed + numNewTokens + numLookaheadTokens, maxModelLen) <= request.blockIDs.count * blockSize
        {
            if enableCaching && !delayCaching {
                cacheBlocks(request, numComputedTokens: min(totalComputed + numNewTokens, request.numTokens))
            }
            return []
        }
        let free = blockPool.numFreeBlocks
        if fullSequenceMustFit {
            let full = min(request.numTokens, maxModelLen)
            if numBlocksToAllocate(request, numTokens: full, newComputedBlocks: newComputedBlocks) > free {
                return nil
            }
        }
        let numTokensNeedSlot = min(totalComputed + numNewTokens + numLookaheadTokens, maxModelLen)
        guard numBlocksToAllocate(request, numTokens: numTokensNeedSlot, newComputedBlocks: newComputedBlocks) <= free
        else { return nil }

        if !newComputedBlocks.isEmpty {
            blockPool.touch(newComputedBlocks)
            request.blockIDs.append(contentsOf: newComputedBlocks)
            request.numCachedBlocks = request.blockIDs.count
        }
        let numRequired = (numTokensNeedSlot + blockSize - 1) / blockSize
        let newBlocks = blockPool.getNewBlocks(max(numRequired - request.blockIDs.count, 0))
        request.blockIDs.append(contentsOf: newBlocks)
        // NOTE: blocks a KV pull is about to fill are cached once it lands (docs/disaggregation.md §2).
        if enableCaching && !delayCaching {
            cacheBlocks(request, numComputedTokens: min(totalComputed + numNewTokens, request.numTokens))
        }
        return newBlocks
    }

    /// Registers the request's full blocks up to `numComputedTokens` in the prefix cache (each block once).
    public func cacheBlocks(_ request: Request, numComputedTokens: Int) {
        let numFull = min(numComputedTokens / blockSize, request.blockHashes.count)
        guard request.numCachedBlocks < numFull else { return }
        blockPool.cacheFullBlocks(
            blocks: request.blockIDs, blockHashes: request.blockHashes, numCachedBlocks: request.numCachedBlocks,
            numFullBlocks: numFull, blockSize: blockSize, tokenIDs: request.allTokenIDs, loraName: request.loraName)
        request.numCachedBlocks = numFull
    }

    /// Releases every block of the request, tail first, so its least-shared blocks are evicted first.
    public func free(_ request: Request) {
        guard !request.blockIDs.isEmpty else { return }
        blockPool.freeBlocks(request.blockIDs.reversed())
        request.blockIDs.removeAll()
        request.numCachedBlocks = 0
    }

    /// Records one admission's lookup (called by the scheduler only when the admission succeeds).
    public func recordPrefixCacheStats(_ request: Request, numHits: Int) {
        guard enableCaching, !request.skipReadingPrefixCache else { return }
        let preempted = request.numPreemptions > 0
        prefixCacheStats.record(numTokens: request.numTokens, numHits: numHits, preempted: preempted)
        if !preempted {
            totalPrefixCacheQueries += request.numTokens
            totalPrefixCacheHits += numHits
        }
    }

    /// Returns the stats gathered since the last call and starts a new batch.
    public func takePrefixCacheStats() -> PrefixCacheStats {
        defer { prefixCacheStats = PrefixCacheStats() }
        return prefixCacheStats
    }

    /// Drops every cached hash; false while any request holds blocks.
    public func resetPrefixCache() -> Bool {
        guard blockPool.resetPrefixCache() else { return false }
        prefixCacheStats.reset = true
        return true
    }

    /// The KV events since the last call, numbered consecutively.
    public func takeEvents() -> [SequencedKVCacheEvent] {
        blockPool.takeEvents().map { e in
            defer { nextEventSequenceNumber += 1 }
            return SequencedKVCacheEvent(sequenceNumber: nextEventSequenceNumber, event: e)
        }
    }

    private func numBlocksToAllocate(_ request: Request, numTokens: Int, newComputedBlocks: [Int]) -> Int {
        let required = (numTokens + blockSize - 1) / blockSize
        var n = max(required - request.blockIDs.count - newComputedBlocks.count, 0)
        // NOTE: an evictable hit block leaves the free queue when touched, so it counts as needed.
        for b in newComputedBlocks where blockPool.refCount(b) == 0 { n += 1 }
        return n
    }
}
