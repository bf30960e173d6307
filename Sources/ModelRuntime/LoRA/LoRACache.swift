import ServingCore

/// The adapters a runner holds, keyed by (name, path) and evicted least recently used first (vLLM's
/// `LRUCacheWorkerLoRAManager` with `--max-cpu-loras` slots).
///
/// `capacity` is a soft bound: adapters `pinned` by the step being run are never evicted, so a step that needs
/// more adapters than the capacity holds them all until a later insert can evict them.
struct LoRACache {
    let capacity: Int
    private var adapters: [LoRARequest: LoRAAdapter] = [:]
    /// Keys, least recently used first.
    private(set) var order: [LoRARequest] = []

    init(capacity: Int) {
        precondition(capacity >= 1, "a LoRA cache holds at least one adapter")
        self.capacity = capacity
    }

    var count: Int { adapters.count }

    /// The adapter for `key`, marked most recently used; nil when not held.
    mutating func get(_ key: LoRARequest) -> LoRAAdapter? {
        guard let adapter = adapters[key] else { return nil }
        touch(key)
        return adapter
    }

    /// Holds `adapter` as most recently used, then evicts as `evict(pinned:)` does. Returns the evicted keys.
    @discardableResult
    mutating func insert(_ key: LoRARequest, _ adapter: LoRAAdapter, pinned: Set<LoRARequest>) -> [LoRARequest] {
        adapters[key] = adapter
        touch(key)
        return evict(pinned: pinned.union([key]))
    }

    /// Evicts least recently used adapters outside `pinned` while more than `capacity` are held (a step that
    /// needed more than the capacity left them all). Returns the evicted keys, oldest first.
    @discardableResult
    mutating func evict(pinned: Set<LoRARequest>) -> [LoRARequest] {
        var evicted: [LoRARequest] = []
        while adapters.count > capacity, let victim = order.first(where: { !pinned.contains($0) }) {
            order.removeAll { $0 == victim }
            adapters[victim] = nil
            evicted.append(victim)
        }
        return evicted
    }

    private mutating func touch(_ key: LoRARequest) {
        order.removeAll { $0 == key }
        order.append(key)
    }

    /// Bytes of adapter weights held.
    var byteCount: Int { adapters.values.reduce(0) { $0 + $1.byteCount } }
}
