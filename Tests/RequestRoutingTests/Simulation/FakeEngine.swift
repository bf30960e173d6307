import RequestRouting

/// A request as a fake engine runs it.
struct SimRequest {
    let id: String
    let blocks: [BlockHashKey]
    let outputTokens: Int
    var loraName: String? = nil
    /// Admission passes that skipped it because its adapter had no `maxLoras` slot, in a row.
    var skippedPasses = 0
    var generated = 0
    var firstTokenSent = false
}

/// A scripted engine-core: continuous batching with FCFS admission, a prefix cache with LRU eviction
/// that reports sequenced KV events, load reports with a step counter, and LoRA adapters as vLLM runs them:
/// at most `maxLoras` distinct adapters in a batch (a request whose adapter would exceed it waits, the
/// requests behind it go on, until it was skipped `loraStarvationSteps` times and fences other adapters out, as
/// the engine-core's scheduler does), and runners that keep an LRU of 4 adapters (`--max-cpu-loras`).
///
/// One step takes `decodeStep` plus the uncached prompt tokens admitted in it over `prefillRate`, plus
/// `adapterLoadTime` per adapter the runners had to load, all divided by `speed`; every running request gets
/// one token per step.
struct FakeEngine {
    static let blockSize = 16

    let id: EngineID
    var speed: Double = 1
    var maxRunning = 16
    var decodeStep: UInt64 = 10_000_000
    var prefillTokensPerSecond: Double = 100_000
    var cacheCapacity = 4_000
    var maxLoras = 4
    var loraStarvationSteps = 32
    var adapterLoadTime: UInt64 = 5_000_000
    /// The runners' loaded adapters (`--max-cpu-loras` 4).
    var runnerLoRAs = SimLoRACache(capacity: 4)

    var waiting: [SimRequest] = []
    var running: [SimRequest] = []
    var stepping = false
    var frozen = false
    var stepCounter: UInt64 = 0
    /// The sequence number of the next KV event (they start at 1, like the engine's).
    var kvSequence: UInt64 = 1
    private var lastUse: [BlockHashKey: UInt64] = [:]
    private var useOrder: [(BlockHashKey, UInt64)] = []
    private var useHead = 0
    private var clock: UInt64 = 0

    init(id: EngineID) {
        self.id = id
    }

    var hasWork: Bool { !waiting.isEmpty || !running.isEmpty }

    var load: EngineLoad {
        EngineLoad(
            waiting: waiting.count, running: running.count,
            kvUsage: min(1, Double(blocksInUse) / Double(cacheCapacity)), stepCounter: stepCounter)
    }

    /// KV blocks held by running requests (what vLLM's `kv_cache_usage_perc` counts; cached free blocks not).
    var blocksInUse: Int {
        running.reduce(0) { $0 + $1.blocks.count + $1.generated / Self.blockSize }
    }

    /// Longest cached prefix of `blocks`, in blocks (ground truth for the tests).
    func cachedPrefix(_ blocks: [BlockHashKey]) -> Int {
        var depth = 0
        while depth < blocks.count, lastUse[blocks[depth]] != nil { depth += 1 }
        return depth
    }

    /// Starts one step: admits waiting requests, loads the batch's adapters; returns the step's duration.
    mutating func beginStep() -> UInt64 {
        var prefillTokens = 0
        var batchLoRAs: [String] = []
        for case let name? in running.map(\.loraName) where !batchLoRAs.contains(name) { batchLoRAs.append(name) }
        var index = 0
        var fence: String?
        while running.count < maxRunning, index < waiting.count {
            if let name = waiting[index].loraName {
                if let fence, name != fence {
                    index += 1
                    continue
                }
                if !batchLoRAs.contains(name) {
                    guard batchLoRAs.count < maxLoras else {
                        waiting[index].skippedPasses += 1
                        if waiting[index].skippedPasses >= loraStarvationSteps { fence = fence ?? name }
                        index += 1
                        continue
                    }
                    batchLoRAs.append(name)
                }
            }
            let request = waiting.remove(at: index)
            prefillTokens += (request.blocks.count - cachedPrefix(request.blocks)) * Self.blockSize
            running.append(request)
        }
        var loads = 0
        for name in batchLoRAs where runnerLoRAs.use(name) { loads += 1 }
        let prefill = Double(prefillTokens) / prefillTokensPerSecond * 1e9
        return UInt64((Double(decodeStep) + prefill + Double(loads * Int(adapterLoadTime))) / speed)
    }

    /// Ends a step: caches newly prefilled prompts, emits one token per running request.
    /// Returns the KV events of the step and the requests that got their first token or finished.
    mutating func endStep() -> (events: [KVEvent], firstTokens: [String], finished: [String]) {
        stepCounter += 1
        var stored: [BlockHashKey] = []
        var firstTokens: [String] = []
        var finished: [String] = []
        for index in running.indices {
            if running[index].generated == 0 {
                for key in running[index].blocks.reversed() where touch(key) { stored.append(key) }
                firstTokens.append(running[index].id)  // NOTE: tail touched first so prefixes are evicted last
            }
            running[index].generated += 1
        }
        running.removeAll { request in
            guard request.generated >= request.outputTokens else { return false }
            finished.append(request.id)
            return true
        }
        let removed = evict()
        var events: [KVEvent] = []
        if !stored.isEmpty { events.append(.blocksStored(stored)) }
        if !removed.isEmpty { events.append(.blocksRemoved(removed)) }
        return (events, firstTokens, finished)
    }

    /// Marks `key` used; returns true when it was not cached before.
    private mutating func touch(_ key: BlockHashKey) -> Bool {
        clock += 1
        let isNew = lastUse.updateValue(clock, forKey: key) == nil
        useOrder.append((key, clock))
        return isNew
    }

    private mutating func evict() -> [BlockHashKey] {
        var removed: [BlockHashKey] = []
        while lastUse.count > cacheCapacity, useHead < useOrder.count {
            let (key, stamp) = useOrder[useHead]
            useHead += 1
            if lastUse[key] == stamp {
                lastUse[key] = nil
                removed.append(key)
            }
        }
        return removed
    }
}
