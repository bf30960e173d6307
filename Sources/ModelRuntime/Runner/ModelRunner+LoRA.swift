import ServingCore

extension ModelRunner {
    /// Turns on LoRA serving (`--enable-lora`): steps may name adapters, which the runner loads from their paths
    /// as steps need them and keeps up to `config.maxCPULoRAs`.
    public func enableLoRA(_ config: LoRAConfig) {
        loraConfig = config
        loraCache = LoRACache(capacity: config.maxCPULoRAs)
    }

    /// The adapters held, least recently used first.
    public var loadedLoRAs: [LoRARequest] { loraCache?.order ?? [] }

    /// The adapter of every request `step` schedules, loading those the runner does not hold (vLLM's worker
    /// `set_active_adapters`). Runs before the step changes any state: a refused or failed load throws naming the
    /// request and adapter, and the runner, its cache and its LRU order included, stays as it was.
    func prepareAdapters(_ step: SchedulerOutput) throws(RunnerError) -> [LoRARequest: LoRAAdapter] {
        var wanted: [(reqID: String, lora: LoRARequest)] = []
        for new in step.scheduledNewReqs where step.numScheduledTokens[new.reqID] != nil {
            if let lora = new.lora { wanted.append((new.reqID, lora)) }
        }
        for delta in step.scheduledCachedReqs where step.numScheduledTokens[delta.reqID] != nil {
            if let lora = requests[delta.reqID]?.lora { wanted.append((delta.reqID, lora)) }
        }
        guard let first = wanted.first else {
            loraCache?.evict(pinned: [])
            return [:]
        }
        guard let config = loraConfig, var cache = loraCache else {
            throw .invalidRequest(
                reqID: first.reqID,
                reason: "names LoRA adapter '\(first.lora.name)', but the runner was started without --enable-lora")
        }
        var adapters: [LoRARequest: LoRAAdapter] = [:]
        var loaded: [LoRARequest] = []
        for (id, lora) in wanted where adapters[lora] == nil {
            if let held = cache.get(lora) {
                adapters[lora] = held
                continue
            }
            do {
                adapters[lora] = try LoRAAdapter(
                    directory: lora.path, shape: self.config.shape, maxRank: config.maxLoRARank, layers: stage.layers)
            } catch {
                throw .loraLoad(reqID: id, name: lora.name, path: lora.path, error: error)
            }
            loaded.append(lora)
        }
        let pinned = Set(adapters.keys)
        for lora in loaded { cache.insert(lora, adapters[lora]!, pinned: pinned) }
        cache.evict(pinned: pinned)
        loraCache = cache
        loraLoadCount += loaded.count
        return adapters
    }

    /// Each token row's adapter in batch order (`inputs` flattens the rows of `ids`); nil when no scheduled
    /// request has one, so a step without adapters runs the base model's path unchanged.
    func loraMapping(ids: [String], inputs: PreparedInputs, adapters: [LoRARequest: LoRAAdapter]) -> LoRAMapping? {
        guard !adapters.isEmpty else { return nil }
        var rows = [LoRAAdapter?](repeating: nil, count: inputs.inputIDs.count)
        for (r, id) in ids.enumerated() {
            guard let lora = requests[id]!.lora else { continue }
            guard let adapter = adapters[lora] else { preconditionFailure("request '\(id)': adapter not prepared") }
            for t in Int(inputs.queryStartLoc[r])..<Int(inputs.queryStartLoc[r + 1]) { rows[t] = adapter }
        }
        return LoRAMapping(rowAdapters: rows)
    }
}
