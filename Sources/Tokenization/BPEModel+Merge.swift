import ServingCore

extension BPEModel {
    /// Applies merges to `symbols` until none applies: always the lowest rank, the leftmost among equal ranks
    /// (HF `Word::merge_all`).
    ///
    /// Symbols form a linked list over their starting positions; candidate pairs sit in a min-heap keyed by
    /// `rank << 32 | position`. A popped candidate is stale when its left symbol was absorbed or its pair changed
    /// (the current pair's rank differs); stale entries are skipped, so every merge costs O(log n).
    static func mergeAll(_ symbols: inout [TokenID], merges: MergeTable) {
        let count = symbols.count
        if count < 2 { return }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int32(i + 1) }
            buffer[count - 1] = -1
            initialized = count
        }
        var prev = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int32(i - 1) }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        var heap = MergeHeap(capacity: count)
        for i in 0..<(count - 1) {
            if let merge = merges[pairKey(symbols[i], symbols[i + 1])] {
                heap.push(merge & 0xFFFF_FFFF_0000_0000 | UInt64(i))
            }
        }
        while let top = heap.pop() {
            let position = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            guard alive[position] else { continue }
            let right = Int(next[position])
            guard right >= 0, let merge = merges[pairKey(symbols[position], symbols[right])], merge >> 32 == rank
            else { continue }
            symbols[position] = TokenID(bitPattern: UInt32(truncatingIfNeeded: merge))
            alive[right] = false
            let after = next[right]
            next[position] = after
            if after >= 0 { prev[Int(after)] = Int32(position) }
            let before = prev[position]
            if before >= 0, let merge = merges[pairKey(symbols[Int(before)], symbols[position])] {
                heap.push(merge & 0xFFFF_FFFF_0000_0000 | UInt64(before))
            }
            if after >= 0, let merge = merges[pairKey(symbols[position], symbols[Int(after)])] {
                heap.push(merge & 0xFFFF_FFFF_0000_0000 | UInt64(position))
            }
        }
        var merged: [TokenID] = []
        merged.reserveCapacity(count)
        var i: Int32 = 0
        while i >= 0 {
            merged.append(symbols[Int(i)])
            i = next[Int(i)]
        }
        symbols = merged
    }
}
