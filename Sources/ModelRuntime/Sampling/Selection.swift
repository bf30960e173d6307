/// Expected-linear selection over vocabulary-sized buffers, used instead of full sorts.
///
/// Both routines are quickselects with a three-way partition (so runs of equal values cost one pass)
/// and a fixed-sequence pivot generator, so their results are deterministic.
enum Selection {
    /// The `k` largest entries of `row`, best first; among equal values the lower index first.
    ///
    /// One pass with a small sorted buffer, skipping blocks that cannot enter it; a full sort for
    /// k > 256. Entries that are −inf or NaN only fill up a result the finite ones leave short.
    static func topK(_ row: UnsafeBufferPointer<Float>, k: Int) -> [Int] {
        let k = min(k, row.count)
        guard k > 0 else { return [] }
        if k > 256 {
            return Array(row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(k))
        }
        var ids: [Int] = []
        ids.reserveCapacity(k + 1)
        var floor = -Float.infinity
        RowScan.forEach(row, above: { floor }) { i in
            let x = row[i]
            if ids.count == k { ids.removeLast() }
            // Insert after every entry ≥ x, so earlier indices win ties.
            var at = ids.count
            while at > 0 && row[ids[at - 1]] < x { at -= 1 }
            ids.insert(i, at: at)
            if ids.count == k { floor = row[ids[k - 1]] }
        }
        if ids.count < k {
            for i in row.indices where !(row[i] > -.infinity) {
                ids.append(i)
                if ids.count == k { break }
            }
        }
        return ids
    }

    /// The k-th largest value of `values` (k = 1 is the maximum). Reorders `values`.
    static func kthLargest(_ values: UnsafeMutableBufferPointer<Float>, k: Int) -> Float {
        precondition(k >= 1 && k <= values.count, "k must be in 1...count")
        let target = k - 1
        var lo = 0
        var hi = values.count
        var pivots = PivotSequence()
        while hi - lo > 1 {
            let pivot = values[pivots.next(in: lo..<hi)]
            // Descending: [lo, lt) > pivot, [lt, gt) == pivot, [gt, hi) < pivot.
            var lt = lo
            var i = lo
            var gt = hi
            while i < gt {
                let x = values[i]
                if x > pivot {
                    values.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if x < pivot {
                    gt -= 1
                    values.swapAt(i, gt)
                } else {
                    i += 1
                }
            }
            if target < lt {
                hi = lt
            } else if target < gt {
                return pivot
            } else {
                lo = gt
            }
        }
        return values[lo]
    }

    /// Reorders `indices` so the heaviest come first and returns how many lead: the fewest whose
    /// summed `weights` reach `mass`, where an index is kept while the weight ranked strictly above it
    /// is below `mass` (at least one when `indices` is non-empty). `weights` is indexed by token id.
    static func topMassPrefix(
        indices: UnsafeMutableBufferPointer<Int32>, weights: UnsafeMutablePointer<Float>, mass: Float
    ) -> Int {
        var lo = 0
        var hi = indices.count
        var need = mass
        var pivots = PivotSequence()
        // Invariant: [0, lo) is kept and outweighs [lo, hi); [hi, count) is dropped; need > 0.
        while lo < hi {
            let w = weights[Int(indices[pivots.next(in: lo..<hi)])]
            var lt = lo
            var i = lo
            var gt = hi
            var heavier: Float = 0
            while i < gt {
                let x = weights[Int(indices[i])]
                if x > w {
                    heavier += x
                    indices.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if x < w {
                    gt -= 1
                    indices.swapAt(i, gt)
                } else {
                    i += 1
                }
            }
            if heavier >= need {
                hi = lt
                continue
            }
            need -= heavier
            for j in lt..<gt {
                need -= w
                if need <= 0 { return j + 1 }
            }
            lo = gt
        }
        return lo
    }
}

/// A tiny fixed LCG choosing quickselect pivots: deterministic, and not fooled by sorted input.
struct PivotSequence {
    private var state: UInt64 = 0x2545_F491_4F6C_DD1D

    mutating func next(in range: Range<Int>) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return range.lowerBound + Int((state >> 33) % UInt64(range.count))
    }
}
