import CKernels

extension LoRAMapping {
    /// One part of an `apply`: up to `rowsPerPart` rows of one group, the adapter's update of the slot, and where
    /// their shrink output starts in the scratch.
    private struct Part {
        let linear: LoRALinear
        let rowStart: Int
        let count: Int
        let tOffset: Int
    }

    /// Rows per part: a decode step's group of a few rows is one part, whose shrink and expand run back to back on
    /// one thread (the adapter's A and B read once); a long prefill's group splits over every core.
    static let rowsPerPart = 16

    /// Adds each group's update of `slot` in decoder layer `layer` (relative to the adapters' `layers`) to the base
    /// matmul's output: for every row t in `rows` of a group whose adapter changes that layer,
    /// `y[t, column + o] += Σ_j (x[t] · A_jᵀ) · (scaling · Bᵀ)[j, o]` per adapted part. Row t of x and y is at
    /// `(t - rows.lowerBound) · ld` (the MLP's chunks pass their own buffers).
    ///
    /// One parallel loop over (group, rows) parts, each a shrink then an expand: one synchronisation per linear
    /// layer, as the base matmul has (on a shared machine each loop waits for its slowest thread). A row's values
    /// never depend on the other rows or on how the parts fall (apus_lora.h), so a request's update is the same
    /// alone or in any batch.
    func apply(
        _ slot: LoRAModule.Slot, layer: Int, x: UnsafePointer<Float>, ldx: Int, y: UnsafeMutablePointer<Float>,
        ldy: Int, rows: Range<Int>
    ) {
        var items: [Part] = []
        var floats = 0
        var flops = 0
        for g in groups {
            guard let linear = g.adapter.linear(layer: layer, slot: slot) else { continue }
            let (lo, hi) = span(g, rows)
            for start in stride(from: lo, to: hi, by: Self.rowsPerPart) {
                let count = min(Self.rowsPerPart, hi - start)
                items.append(Part(linear: linear, rowStart: start, count: count, tOffset: floats))
                floats += count * linear.rank
            }
            flops += 2 * (hi - lo) * linear.rank * (linear.inDim + linear.outColumns)
        }
        guard !items.isEmpty else { return }
        reserveScratch(floats)
        let threads = flops >= 1 << 18 ? Kernels.cores : 1
        let parts = items
        let (xs, ys, ts) = (
            SendablePointer(UnsafeMutablePointer(mutating: x)), SendablePointer(y), SendablePointer(scratch.pointer)
        )
        let base = Int32(rows.lowerBound)
        rowIndices.withUnsafeBufferPointer { indices in
            let list = SendablePointer(UnsafeMutablePointer(mutating: indices.baseAddress!))
            Parallel.run(parts: parts.count, threads: threads) { p in
                let part = parts[p]
                let linear = part.linear
                let (rowList, n, t) = (list.base + part.rowStart, Int32(part.count), ts.base + part.tOffset)
                apus_lora_shrink(
                    n, rowList, base, xs.base, ldx, Int32(linear.inDim), linear.a.pointer, 0, Int32(linear.rank), t,
                    linear.rank)
                for slice in linear.slices {
                    apus_lora_expand(
                        n, rowList, base, t + slice.rankOffset, linear.rank, Int32(slice.rank), slice.bt.pointer,
                        Int32(slice.outDim), 0, Int32(slice.outDim), ys.base + slice.column, ldy)
                }
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
