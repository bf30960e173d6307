/// A fake runner's LRU of loaded LoRA adapters (vLLM's `--max-cpu-loras`): the ground truth of which adapters an
/// engine holds, against which the simulation scores the router's guesses.
struct SimLoRACache {
    let capacity: Int
    /// Loaded adapters, least recently used first.
    private(set) var loaded: [String] = []
    /// Adapters loaded from disk so far (misses).
    private(set) var loads = 0

    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    func contains(_ name: String) -> Bool { loaded.contains(name) }

    /// Uses `name`: loads it on a miss, evicting the least recently used beyond capacity. Returns true on a miss.
    @discardableResult
    mutating func use(_ name: String) -> Bool {
        if let index = loaded.firstIndex(of: name) {
            loaded.remove(at: index)
            loaded.append(name)
            return false
        }
        loaded.append(name)
        loads += 1
        if loaded.count > capacity { loaded.removeFirst() }
        return true
    }
}
