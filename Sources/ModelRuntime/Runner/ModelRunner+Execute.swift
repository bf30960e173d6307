import ServingCore

extension ModelRunner {
    /// Runs one step (docs/architecture.md §4.5, §5): validate, update the persistent batch, prepare inputs, forward,
    /// sample the rows whose prefill is complete, return tokens (none for a partial prefill chunk). A row with draft
    /// tokens verifies them (§5.5) and returns its accepted drafts plus one token.
    public func execute(_ step: SchedulerOutput) throws(RunnerError) -> ModelRunnerOutput {
        guard let cache = kvCache else { throw .kvCacheNotInitialized }
        try validate(step, cache: cache)
        let adapters = try prepareAdapters(step)
        updateStates(step)
        guard step.totalNumScheduledTokens > 0 else { return ModelRunnerOutput(stepID: step.stepID) }
        let ids = batch
        let rows = ids.map { id in
            let s = requests[id]!
            return InputRow(
                numComputedTokens: s.numComputedTokens, numScheduledTokens: step.numScheduledTokens[id]!,
                blockIDs: s.blockIDs, tokenIDs: s.tokenIDs, draftTokenIDs: step.scheduledSpecDecodeTokens[id] ?? [])
        }
        let inputs = InputPreparation.prepare(rows: rows, blockSize: cache.blockSize)
        let lora = loraMapping(ids: ids, inputs: inputs, adapters: adapters)
        guard stage.isLast else {
            return forwardToNextStage(step, ids: ids, rows: rows, inputs: inputs, cache: cache, lora: lora)
        }
        let layout = LogitsLayout(ids: ids, rows: rows, inputs: inputs, requests: requests)
        let hidden = step.intermediate.map { gatherRows($0, ids: ids) }
        _ = model.forwardLayers(
            inputIDs: inputs.inputIDs, positions: inputs.positions,
            metadata: inputs.attentionMetadata, kvCache: cache, logitsIndices: layout.indices,
            inputHidden: hidden, lora: lora)
        let (sampled, verified) = sampleLogits(layout, step: step, ids: ids, rows: rows)
        var output = ModelRunnerOutput(
            stepID: step.stepID, reqIDs: ids,
            sampledTokenIDs: Array(repeating: [], count: ids.count))
        for r in layout.sampleRows + layout.specRows {
            if let done = inProgressPromptLogprobs.removeValue(forKey: ids[r]) { output.promptLogprobs[ids[r]] = done }
        }
        let wantsLogprobs = (layout.sampleRows + layout.specRows).contains {
            requests[ids[$0]]!.samplingParams.logprobs != nil
        }
        if wantsLogprobs { output.logprobs = Array(repeating: [], count: ids.count) }
        // NOTE: the drafts' K/V count as computed only once accepted; the next step's numComputedTokens says the same.
        for (r, row) in rows.enumerated() {
            requests[ids[r]]!.numComputedTokens = row.knownEnd
        }
        let tokens = Array(zip(layout.sampleRows, sampled.map { [$0] })) + Array(zip(layout.specRows, verified))
        for (r, returned) in tokens {
            requests[ids[r]]!.tokenIDs += returned.map(\.tokenID)
            requests[ids[r]]!.numComputedTokens += returned.count - 1
            output.sampledTokenIDs[r] = returned.map(\.tokenID)
            if wantsLogprobs { output.logprobs![r] = returned.compactMap(\.logprobs) }
        }
        output.draftTokenIDs = proposeDrafts(ids: ids, inputs: inputs, sampledRows: layout.sampleRows + layout.specRows)
        return output
    }

    /// A stage before the last: runs its layers (drafts included) and hands the hidden states on; nothing is sampled,
    /// and the requests' computed-token counts advance past their known tokens (which drafts are accepted, the next
    /// step's numComputedTokens says).
    private func forwardToNextStage(
        _ step: SchedulerOutput, ids: [String], rows: [InputRow], inputs: PreparedInputs, cache: KVCache,
        lora: LoRAMapping?
    ) -> ModelRunnerOutput {
        let hidden = step.intermediate.map { gatherRows($0, ids: ids) }
        let out = model.forward(
            inputIDs: inputs.inputIDs, positions: inputs.positions, metadata: inputs.attentionMetadata,
            kvCache: cache, logitsIndices: [], inputHidden: hidden, lora: lora)
        let counts = rows.map(\.numScheduledTokens)
        let h = config.hiddenSize
        let values = Array(UnsafeBufferPointer(start: out, count: counts.reduce(0, +) * h))
        for (r, row) in rows.enumerated() {
            requests[ids[r]]!.numComputedTokens = row.knownEnd
        }
        return ModelRunnerOutput(
            stepID: step.stepID, reqIDs: ids, sampledTokenIDs: Array(repeating: [], count: ids.count),
            intermediate: IntermediateTensors(reqIDs: ids, numTokens: counts, hiddenSize: h, values: values))
    }

    /// The previous stage's rows reordered into this stage's batch order (validated before: every scheduled
    /// request has exactly its scheduled rows). Valid until the next call.
    private func gatherRows(_ tensors: IntermediateTensors, ids: [String]) -> UnsafePointer<Float> {
        let h = tensors.hiddenSize
        let offsets = tensors.rowOffsets
        let counts = Dictionary(zip(tensors.reqIDs, tensors.numTokens), uniquingKeysWith: { a, _ in a })
        let total = tensors.values.count / max(1, h)
        if stageInput.count < total * h { stageInput = FloatBuffer(count: total * h) }
        var next = 0
        tensors.values.withUnsafeBufferPointer { src in
            for id in ids {
                let n = counts[id]!
                (stageInput.pointer + next * h).update(from: src.baseAddress! + offsets[id]! * h, count: n * h)
                next += n
            }
        }
        return UnsafePointer(stageInput.pointer)
    }
}
