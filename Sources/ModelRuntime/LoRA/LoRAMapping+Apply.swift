import CKernels

extension LoRAMapping {
    /// One group's share of one `apply`: its rows in range, the adapter's update of the slot, and where its shrink
    /// output starts in the scratch.
    private struct Work {
        let linear: LoRALinear
        let rowStart: Int
        let count: Int
        let tOffset: Int
    }

    /// Rows of A per shrink part and columns of Bᵀ per expand part: multiples of the kernels' 4 rows and 32
    /// columns, small enough that a decode step's few groups still split over every core.
    static let shrinkChunk = 8
    static let expandChunk = 128

    /// Adds each group's update of `slot` in decoder layer `layer` (relative to the adapters' `layers`) to the base
    /// matmul's output: for every row t in `rows` of a group whose adapter changes that layer,
    /// `y[t, column + o] += Σ_j (x[t] · A_jᵀ) · (scaling · Bᵀ)[j, o]` per adapted part. Row t of x and y is at
    /// `(t - rows.lowerBound) · ld` (the MLP's chunks pass their own buffers).
    ///
    /// Shrink, then expand, each one parallel loop over (group, slice of the matrix) parts; a row's values never
    /// depend on the other rows or on how the parts fall (apus_lora.h), so a request's update is the same alone
    /// or in any batch.
    func apply(
        _ slot: LoRAModule.Slot, layer: Int, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>,
        ldy: Int, rows: Range<Int>
    ) {
        var items: [Work] = []
        var floats = 0
        var flops = 0
        for g in groups {
            guard let linear = g.adapter.linear(layer: layer, slot: slot) else { continue }
            let (lo, hi) = span(g, rows)
            guard hi > lo else { continue }
            items.append(Work(linear: linear, rowStart: lo, count: hi - lo, tOffset: floats))
            floats += (hi - lo) * linear.rank
            flops += 2 * (hi - lo) * linear.rank * (linear.inDim + linear.outColumns)
        }
        guard !items.isEmpty else { return }
        reserveScratch(floats)
        let threads = flops >= 1 << 18 ? Kernels.cores : 1
        let work = items
        let shrinkParts = work.indices.flatMap { w in
            stride(from: 0, to: work[w].linear.rank, by: Self.shrinkChunk).map {
                (work: w, begin: $0, end: min($0 + Self.shrinkChunk, work[w].linear.rank))
            }
        }
        let expandParts = work.indices.flatMap { w in
            work[w].linear.slices.indices.flatMap { s in
                let outDim = work[w].linear.slices[s].outDim
                return stride(from: 0, to: outDim, by: Self.expandChunk).map {
                    (work: w, slice: s, begin: $0, end: min($0 + Self.expandChunk, outDim))
                }
            }
        }
        let (xs, ys, ts) = (
            SendablePointer(UnsafeMutablePointer(mutating: x)), SendablePointer(y), SendablePointer(scratch.pointer)
        )
        let base = Int32(rows.lowerBound)
        rowIndices.withUnsafeBufferPointer { indices in
            let list = SendablePointer(UnsafeMutablePointer(mutating: indices.baseAddress!))
            Parallel.run(parts: shrinkParts.count, threads: threads) { part in
                let (w, begin, end) = shrinkParts[part]
                let item = work[w]
                apus_lora_shrink(
                    Int32(item.count), list.base + item.rowStart, base, xs.base, ldx, Int32(item.linear.inDim),
                    item.linear.a.pointer, Int32(begin), Int32(end), ts.base + item.tOffset, item.linear.rank)
            }
            Parallel.run(parts: expandParts.count, threads: threads) { part in
                let (w, s, begin, end) = expandParts[part]
                let item = work[w]
                let slice = item.linear.slices[s]
                apus_lora_expand(
                    Int32(item.count), list.base + item.rowStart, base, ts.base + item.tOffset + slice.rankOffset,
                    item.linear.rank, Int32(slice.rank), slice.bt.pointer, Int32(slice.outDim), Int32(begin),
                    Int32(end), ys.base + slice.column, ldy)
            }
        }
    }

    /// The positions in `rowIndices` of group `g`'s rows inside `rows` (its list is ascending).
    private func span(_ g: Group, _ rows: Range<Int>) -> (Int, Int) {
        if rows.lowerBound == 0 && rows.upperBound >= numTokens { return (g.start, g.start + g.count) }
        var lo = g.start
        while lo < g.start + g.count && Int(rowIndices[lo]) < rows.lowerBound { lo += 1 }
        var hi = lo
        while hi < g.start + g.count && Int(rowIndices[hi]) < rows.upperBound { hi += 1 }
        return (lo, hi)
    }
}
