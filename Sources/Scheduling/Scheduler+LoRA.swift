extension Scheduler {
    /// The distinct adapters of running and of waiting requests, sorted (vLLM's `vllm:lora_requests_info`); the
    /// waiting queue is walked in place, so the engine may ask after every step.
    public var loraNames: (running: [String], waiting: [String]) {
        var waitingNames = Set<String>()
        waiting.forEachUnordered { if let name = $0.loraName { waitingNames.insert(name) } }
        return (Set(running.compactMap(\.loraName)).sorted(), waitingNames.sorted())
    }
}
