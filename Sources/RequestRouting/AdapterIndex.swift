/// The router's guess of which LoRA adapters each engine's runners hold: per engine slot, the last
/// `adaptersPerEngine` distinct adapters the router sent there, least recent first.
///
/// Runners keep an LRU of `--max-cpu-loras` adapters (4 by default) and load an adapter on a miss, evicting
/// the least recently used one. So an engine that was sent K other adapters since it last ran this one has
/// probably evicted it, and the same LRU, fed with the router's own dispatches, models the runners' without
/// any report from the engines. It sees only this router's requests: with several routers, or a runner that
/// restarted, a holder may be stale, which costs one adapter load on the engine, never a wrong answer.
///
/// Memory is bounded by `maxSlots · adaptersPerEngine` keys; an engine's entries go with `clear(slot:)`.
/// Adapters are keyed by `StableHash` of their name: a collision only merges two adapters' holders.
/// `RouterCore` owns one and serializes calls to it; lookups and updates are O(K).
public struct AdapterIndex: Sendable {
    /// K: how many distinct adapters an engine is assumed to hold.
    public let adaptersPerEngine: Int
    /// Per slot, adapter keys from least to most recently sent; at most `adaptersPerEngine` each.
    private var recent: [[UInt64]]
    /// Adapter key → bit set of the slots holding it; an adapter no slot holds has no entry.
    private var holderBits: [UInt64: UInt64] = [:]

    public init(adaptersPerEngine: Int) {
        precondition(adaptersPerEngine >= 1, "adaptersPerEngine must be >= 1")
        self.adaptersPerEngine = adaptersPerEngine
        self.recent = Array(repeating: [], count: PrefixIndex.maxSlots)
    }

    /// The key of the adapter named `loraName`.
    @inline(__always)
    public static func key(_ loraName: String) -> UInt64 {
        StableHash.hash(loraName)
    }

    /// Number of distinct adapters some engine holds.
    public var count: Int { holderBits.count }

    /// The slots holding `key`, as a bit set.
    @inline(__always)
    public func holders(of key: UInt64) -> UInt64 {
        holderBits[key] ?? 0
    }

    /// Whether `slot` holds `key`.
    public func holds(_ key: UInt64, slot: Int) -> Bool {
        holders(of: key) & (1 << UInt64(slot)) != 0
    }

    /// The adapters `slot` holds, least recently sent first.
    public func adapters(slot: Int) -> [UInt64] {
        recent[slot]
    }

    /// Whether one more adapter fits on `slot` without losing an adapter's last copy: the slot holds fewer
    /// than `adaptersPerEngine`, or another slot also holds the one it would evict (its least recent).
    public func hasRoom(slot: Int) -> Bool {
        guard recent[slot].count >= adaptersPerEngine, let victim = recent[slot].first else { return true }
        return holders(of: victim) & ~(1 << UInt64(slot)) != 0
    }

    /// Records that a request with adapter `key` was sent to `slot`: the adapter becomes its most recent, and
    /// the least recent one beyond `adaptersPerEngine` is evicted. Returns the evicted key, if any.
    @discardableResult
    public mutating func record(_ key: UInt64, slot: Int) -> UInt64? {
        if let position = recent[slot].firstIndex(of: key) {
            // NOTE: K is small (the runners' --max-cpu-loras), so moving within the array beats a linked list.
            if position != recent[slot].count - 1 {
                recent[slot].remove(at: position)
                recent[slot].append(key)
            }
            return nil
        }
        let bit: UInt64 = 1 << UInt64(slot)
        recent[slot].append(key)
        holderBits[key, default: 0] |= bit
        guard recent[slot].count > adaptersPerEngine else { return nil }
        let evicted = recent[slot].removeFirst()
        clearBit(bit, of: evicted)
        return evicted
    }

    /// Forgets every adapter `slot` holds (the engine left, or came back as a new process).
    public mutating func clear(slot: Int) {
        let bit: UInt64 = 1 << UInt64(slot)
        for key in recent[slot] { clearBit(bit, of: key) }
        recent[slot].removeAll()
    }

    private mutating func clearBit(_ bit: UInt64, of key: UInt64) {
        guard let bits = holderBits[key] else { return }
        let rest = bits & ~bit
        holderBits[key] = rest == 0 ? nil : rest
    }

    /// Checks that the per-slot lists and the holder bit sets agree and respect the bound; for tests.
    public func checkInvariants() {
        var expected: [UInt64: UInt64] = [:]
        for (slot, keys) in recent.enumerated() {
            precondition(keys.count <= adaptersPerEngine, "slot \(slot) holds more than K adapters")
            precondition(Set(keys).count == keys.count, "slot \(slot) lists an adapter twice")
            for key in keys { expected[key, default: 0] |= 1 << UInt64(slot) }
        }
        precondition(expected == holderBits, "holder bit sets disagree with the per-slot lists")
    }
}
