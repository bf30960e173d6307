/// An open-addressing hash table from a token pair to its merge (`rank << 32 | merged id`).
///
/// The BPE inner loop does one lookup per candidate pair; a multiplicative hash with linear probing is several
/// times cheaper than `Dictionary`'s seeded SipHash. Built once, read-only afterwards.
struct MergeTable: Sendable {
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var values: [UInt64]
    private let shift: UInt64
    private let mask: Int

    init(_ merges: [UInt64: UInt64]) {
        var bits = 4
        while (1 << bits) < merges.count * 2 { bits += 1 }
        let capacity = 1 << bits
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [UInt64](repeating: 0, count: capacity)
        shift = UInt64(64 - bits)
        mask = capacity - 1
        for (key, value) in merges {
            var slot = index(key)
            while keys[slot] != Self.empty { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = value
        }
    }

    @inline(__always)
    private func index(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    subscript(key: UInt64) -> UInt64? {
        var slot = index(key)
        while true {
            let stored = keys[slot]
            if stored == key { return values[slot] }
            if stored == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }
}
