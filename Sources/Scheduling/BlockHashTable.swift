/// A map from block hash to block id, made for the prefix cache's hot path: open addressing with linear
/// probing, keyed directly by the hash's first word.
///
/// Block hashes are SHA-256 digests, already uniformly distributed, so running them through `Hasher`
/// (SipHash, as `Dictionary` does) only costs time. Capacity is fixed at creation (a power of two at least
/// twice the number of entries it will ever hold), so it never rehashes; removal shifts entries back instead
/// of leaving tombstones, so lookups stay short.
struct BlockHashTable {
    private var keys: [BlockHash]
    private var values: [Int32]
    private let mask: Int
    private(set) var count = 0

    /// A table that holds up to `maxEntries` entries.
    init(maxEntries: Int) {
        var capacity = 16
        while capacity < 2 * maxEntries { capacity <<= 1 }
        keys = Array(repeating: BlockHash(w0: 0, w1: 0, w2: 0, w3: 0), count: capacity)
        values = Array(repeating: -1, count: capacity)
        mask = capacity - 1
        self.maxEntries = maxEntries
    }

    private let maxEntries: Int

    subscript(key: BlockHash) -> Int? {
        get {
            var i = Int(truncatingIfNeeded: key.w0) & mask
            while values[i] >= 0 {
                if keys[i] == key { return Int(values[i]) }
                i = (i + 1) & mask
            }
            return nil
        }
        set {
            if let v = newValue { insert(key, v) } else { remove(key) }
        }
    }

    private mutating func insert(_ key: BlockHash, _ value: Int) {
        var i = Int(truncatingIfNeeded: key.w0) & mask
        while values[i] >= 0 {
            if keys[i] == key {
                values[i] = Int32(value)
                return
            }
            i = (i + 1) & mask
        }
        precondition(count < maxEntries, "block hash table is full")
        keys[i] = key
        values[i] = Int32(value)
        count += 1
    }

    private mutating func remove(_ key: BlockHash) {
        var i = Int(truncatingIfNeeded: key.w0) & mask
        while values[i] >= 0 && keys[i] != key { i = (i + 1) & mask }
        guard values[i] >= 0 else { return }
        count -= 1
        // Backward-shift deletion: pull later entries of the probe run into the hole when their home slot
        // does not lie (cyclically) between the hole and their current slot.
        var hole = i
        var j = (i + 1) & mask
        while values[j] >= 0 {
            let home = Int(truncatingIfNeeded: keys[j].w0) & mask
            let distanceFromHome = (j - home) & mask
            let distanceToHole = (j - hole) & mask
            if distanceFromHome >= distanceToHole {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        values[hole] = -1
    }

    mutating func removeAll() {
        for i in values.indices { values[i] = -1 }
        count = 0
    }

    /// Every entry, in table order (for invariant checks).
    func forEach(_ body: (BlockHash, Int) -> Void) {
        for i in values.indices where values[i] >= 0 { body(keys[i], Int(values[i])) }
    }
}
