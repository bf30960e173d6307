/// Vocabulary-wide reductions over one logits row, eight lanes at a time.
///
/// NaN logits are never "larger" than anything here, matching how the scalar loops treated them.
enum RowScan {
    @inline(__always)
    static func load(_ row: UnsafeBufferPointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(row.baseAddress!).loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
    }

    /// The largest value; −inf for an empty or all-masked row.
    static func maximum(_ row: UnsafeBufferPointer<Float>) -> Float {
        var acc = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= row.count {
            let v = load(row, i)
            acc = acc.replacing(with: v, where: v .> acc)
            i += 8
        }
        var top = acc.max()
        while i < row.count {
            if row[i] > top { top = row[i] }
            i += 1
        }
        return top
    }

    /// The first index of the largest value (0 for an all-masked row): the greedy token.
    static func argmax(_ row: UnsafeBufferPointer<Float>) -> Int {
        let top = maximum(row)
        guard top > -.infinity else { return 0 }
        return firstIndex(row, of: top)
    }

    static func firstIndex(_ row: UnsafeBufferPointer<Float>, of value: Float) -> Int {
        var i = 0
        while i + 8 <= row.count {
            if any(load(row, i) .== value) { break }
            i += 8
        }
        while i < row.count && row[i] != value { i += 1 }
        precondition(i < row.count, "value not in row")
        return i
    }

    /// How many entries satisfy `x − shift ≥ bound` (the rank of a logprob `bound` when `shift` is the lse).
    static func count(_ row: UnsafeBufferPointer<Float>, minus shift: Float, atLeast bound: Float) -> Int {
        var acc = SIMD8<Int32>()
        var i = 0
        while i + 8 <= row.count {
            acc &+= SIMD8<Int32>().replacing(with: 1, where: load(row, i) - shift .>= bound)
            i += 8
        }
        var n = Int(acc.wrappedSum())
        while i < row.count {
            if row[i] - shift >= bound { n += 1 }
            i += 1
        }
        return n
    }

    /// Calls `body(i)` for the indices whose value exceeds `floor()` (re-read after each call), skipping
    /// blocks of eight that cannot qualify.
    @inline(__always)
    static func forEach(
        _ row: UnsafeBufferPointer<Float>, above floor: () -> Float, _ body: (Int) -> Void
    ) {
        var i = 0
        while i + 8 <= row.count {
            if any(load(row, i) .> floor()) {
                for j in i..<(i + 8) where row[j] > floor() { body(j) }
            }
            i += 8
        }
        while i < row.count {
            if row[i] > floor() { body(i) }
            i += 1
        }
    }

    /// Sets every entry below `threshold` to −inf.
    static func mask(_ row: UnsafeMutableBufferPointer<Float>, below threshold: Float) {
        let raw = UnsafeMutableRawPointer(row.baseAddress!)
        var i = 0
        while i + 8 <= row.count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: v.replacing(with: -.infinity, where: v .< threshold), toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < row.count {
            if row[i] < threshold { row[i] = -.infinity }
            i += 1
        }
    }
}
