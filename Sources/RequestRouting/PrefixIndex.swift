/// The router's exact view of which engine caches which KV block, keyed by chained block hash.
///
/// Engines occupy slots `0..<PrefixIndex.maxSlots`; each block hash maps to two bit sets over slots:
/// blocks *confirmed* by the engine's KV events, and *speculative* blocks the router inserted when it
/// dispatched a request there (so a burst of one prefix does not all miss before the engine's events
/// arrive). Speculative entries expire after a TTL unless an event confirms them first.
///
/// A lookup finds, per engine, the longest cached prefix of the request's hash chain — the same rule the
/// engine's prefix cache applies — by binary search (see `matchedBlocks`).
public struct PrefixIndex: Sendable {
    /// Slots are bits of a `UInt64`; the router refuses a 65th engine.
    public static let maxSlots = 64

    struct Holders: Sendable {
        var confirmed: UInt64 = 0
        var speculative: UInt64 = 0
        var all: UInt64 { confirmed | speculative }
    }

    struct Expiry: Sendable {
        let deadline: UInt64
        let slot: Int
        let key: BlockHashKey
    }

    var holders: [BlockHashKey: Holders] = [:]
    /// Per slot, the blocks its KV events confirmed (to clear a slot without a full scan).
    var confirmedBySlot: [Set<BlockHashKey>]
    /// Speculative inserts in deadline order (the TTL is constant and time only moves forward).
    var expiries: [Expiry] = []
    var expiryHead = 0
    /// Per slot, the sequence number of the last KV event applied (0 before any).
    var lastSequence: [UInt64]

    public init() {
        confirmedBySlot = Array(repeating: [], count: Self.maxSlots)
        lastSequence = Array(repeating: 0, count: Self.maxSlots)
    }

    /// Number of distinct block hashes held by any engine, confirmed or speculative.
    public var count: Int { holders.count }

    /// Number of blocks the slot's KV events confirmed.
    public func confirmedCount(slot: Int) -> Int { confirmedBySlot[slot].count }

    /// Whether `slot` holds `key`, confirmed or speculatively.
    public func holds(_ key: BlockHashKey, slot: Int) -> Bool {
        (holders[key]?.all ?? 0) & (1 << UInt64(slot)) != 0
    }

    /// Longest matched prefix, in blocks, of `hashes` on each slot in `slots` (a bit set).
    ///
    /// Calls `report(slot, matchedBlocks)` once for every slot in `slots`. Assumes each engine's cached
    /// blocks of one chain form a prefix of it (vLLM frees a request's blocks tail first, and the chain
    /// makes a block unreachable without its parent), so a binary search per group of engines finds every
    /// match length in O(groups · log n) lookups instead of O(n). A hole in an engine's chain can only make
    /// its match look longer than the engine's own lookup, never route to an engine holding none of it.
    public func matchedBlocks(_ hashes: [BlockHashKey], slots: UInt64, report: (Int, Int) -> Void) {
        guard !hashes.isEmpty else { return Self.forEachSlot(slots) { report($0, 0) } }
        let first = heldBy(hashes[0]) & slots
        Self.forEachSlot(slots & ~first) { report($0, 0) }
        search(hashes, low: 1, high: hashes.count, alive: first, report: report)
    }

    /// Every slot in `alive` holds `hashes[0..<low]` and matches at most `high` blocks; finds each match.
    private func search(
        _ hashes: [BlockHashKey], low: Int, high: Int, alive: UInt64, report: (Int, Int) -> Void
    ) {
        guard alive != 0 else { return }
        guard low < high else { return Self.forEachSlot(alive) { report($0, low) } }
        let middle = (low + high) / 2
        let held = heldBy(hashes[middle]) & alive
        search(hashes, low: low, high: middle, alive: alive & ~held, report: report)
        search(hashes, low: middle + 1, high: high, alive: held, report: report)
    }

    @inline(__always)
    func heldBy(_ key: BlockHashKey) -> UInt64 {
        holders[key]?.all ?? 0
    }

    /// Marks `hashes[from...]` as speculatively held by `slot` until `deadline`.
    ///
    /// Blocks the slot already holds are skipped, so a burst of one prefix costs nothing after the first.
    public mutating func insertSpeculative(_ hashes: [BlockHashKey], from start: Int, slot: Int, deadline: UInt64) {
        let bit: UInt64 = 1 << UInt64(slot)
        guard start < hashes.count else { return }
        for key in hashes[start...] {
            if Self.markSpeculative(&holders[key, default: Holders()], bit: bit) {
                expiries.append(Expiry(deadline: deadline, slot: slot, key: key))
            }
        }
    }

    /// Drops speculative entries whose deadline is at or before `now` and that no event confirmed.
    public mutating func expireSpeculative(now: UInt64) {
        while expiryHead < expiries.count, expiries[expiryHead].deadline <= now {
            let expiry = expiries[expiryHead]
            // NOTE: if the block was re-inserted speculatively after a removal, this older deadline ends it
            // early; the cost is one avoidable miss, never a wrong "held".
            clearBits(expiry.key, speculative: 1 << UInt64(expiry.slot))
            expiryHead += 1
        }
        if expiryHead > 4096, expiryHead * 2 > expiries.count {
            expiries.removeFirst(expiryHead)
            expiryHead = 0
        }
    }

    /// Forgets everything `slot` holds, confirmed and speculative (engine removed or resynced).
    public mutating func clear(slot: Int) {
        clearConfirmed(slot: slot)
        let bit: UInt64 = 1 << UInt64(slot)
        for index in expiryHead..<expiries.count where expiries[index].slot == slot {
            clearBits(expiries[index].key, speculative: bit)
        }
        lastSequence[slot] = 0
    }

    mutating func clearConfirmed(slot: Int) {
        let bit: UInt64 = 1 << UInt64(slot)
        for key in confirmedBySlot[slot] { clearBits(key, confirmed: bit) }
        confirmedBySlot[slot].removeAll()
    }

    mutating func clearBits(_ key: BlockHashKey, confirmed: UInt64 = 0, speculative: UInt64 = 0) {
        guard var entry = holders[key] else { return }
        entry.confirmed &= ~confirmed
        entry.speculative &= ~speculative
        holders[key] = entry.all == 0 ? nil : entry
    }

    static func markSpeculative(_ entry: inout Holders, bit: UInt64) -> Bool {
        guard entry.all & bit == 0 else { return false }
        entry.speculative |= bit
        return true
    }

    static func forEachSlot(_ bits: UInt64, _ body: (Int) -> Void) {
        var rest = bits
        while rest != 0 {
            body(rest.trailingZeroBitCount)
            rest &= rest &- 1
        }
    }

    /// Checks that the per-slot confirmed sets and the bit sets agree; for tests.
    public func checkInvariants() {
        for (slot, keys) in confirmedBySlot.enumerated() {
            for key in keys { precondition(holders[key].map { $0.confirmed & (1 << UInt64(slot)) != 0 } == true) }
        }
        for (_, entry) in holders { precondition(entry.all != 0, "empty holder entries must be removed") }
    }
}
