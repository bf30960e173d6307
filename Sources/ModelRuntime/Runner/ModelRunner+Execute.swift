import ServingCore

extension ModelRunner {
    /// Runs one step (docs/architecture.md §4.5, §5): validate, update the persistent batch, prepare inputs, forward,
    /// sample the rows whose prefill is complete, return tokens (none for a partial prefill chunk).
    public func execute(_ step: SchedulerOutput) throws(RunnerError) -> ModelRunnerOutput {
        guard let cache = kvCache else { throw .kvCacheNotInitialized }
        try validate(step, cache: cache)
        updateStates(step)
        guard step.totalNumScheduledTokens > 0 else { return ModelRunnerOutput(stepID: step.stepID) }
        let ids = batch
        let rows = ids.map { id in
            let s = requests[id]!
            return InputRow(
                numComputedTokens: s.numComputedTokens, numScheduledTokens: step.numScheduledTokens[id]!,
                blockIDs: s.blockIDs, tokenIDs: s.tokenIDs)
        }
        let inputs = InputPreparation.prepare(rows: rows, blockSize: cache.blockSize)
        guard stage.isLast else { return forwardToNextStage(step, ids: ids, rows: rows, inputs: inputs, cache: cache) }
        // Logits rows: first the rows that sample (complete prefill or decode), then prompt-logprob rows.
        var sampleRows: [Int] = []
        var promptTargets: [(reqID: String, index: Int, target: TokenID, topK: Int)] = []
        for (r, row) in rows.enumerated() {
            let s = requests[ids[r]]!
            let end = row.numComputedTokens + row.numScheduledTokens
            if end >= s.numTokens { sampleRows.append(r) }
            // Prompt logprobs belong to the first prefill only, not to a recompute after preemption.
            if let k = s.samplingParams.promptLogprobs, s.outputTokenIDs.isEmpty {
                for pos in row.numComputedTokens..<end where pos + 1 < s.numPromptTokens {
                    promptTargets.append(
                        (
                            ids[r], Int(inputs.queryStartLoc[r]) + pos - row.numComputedTokens,
                            s.tokenIDs[pos + 1], k
                        ))
                }
            }
        }
        let logitsIndices = sampleRows.map { inputs.logitsIndices[$0] } + promptTargets.map(\.index)
        let hidden = step.intermediate.map { gatherRows($0, ids: ids) }
        _ = model.forwardLayers(
            inputIDs: inputs.inputIDs, positions: inputs.positions,
            metadata: inputs.attentionMetadata, kvCache: cache, logitsIndices: logitsIndices,
            inputHidden: hidden)
        let vocab = config.vocabSize
        var output = ModelRunnerOutput(
            stepID: step.stepID, reqIDs: ids,
            sampledTokenIDs: Array(repeating: [], count: ids.count))
        let samplerRows = sampleRows.map { r in
            let s = requests[ids[r]]!
            // NOTE: only the repetition penalty reads the prompt; skip copying it otherwise.
            let prompt = s.samplingParams.repetitionPenalty != 1 ? Array(s.promptTokenIDs) : []
            return SamplerRow(
                params: s.samplingParams, promptTokenIDs: prompt,
                outputTokenIDs: Array(s.outputTokenIDs), eosTokenID: s.eosTokenID)
        }
        let grammarRows = step.grammar.map { g in
            Dictionary(uniqueKeysWithValues: g.requestIDs.enumerated().map { ($1, $0) })
        }
        if captureLogits { capturedLogits = [:] }
        // The logits a chunk of rows at a time (the sampler's streams are handed out in row order either way).
        var sampled: [SampledToken] = []
        sampled.reserveCapacity(sampleRows.count)
        let sampling = sampleRows.count
        for start in stride(from: 0, to: logitsIndices.count, by: model.logitsChunkRows) {
            let end = min(start + model.logitsChunkRows, logitsIndices.count)
            let logits = model.logits(rows: start..<end)
            if start < sampling {
                let last = min(end, sampling)
                if let grammar = step.grammar, let grammarRows {
                    for i in start..<last {
                        guard let row = grammarRows[ids[sampleRows[i]]] else { continue }
                        Self.applyGrammar(grammar, row: row, to: logits + (i - start) * vocab, vocabSize: vocab)
                    }
                }
                if captureLogits {
                    for i in start..<last {
                        capturedLogits[ids[sampleRows[i]]] = Array(
                            UnsafeBufferPointer(start: logits + (i - start) * vocab, count: vocab))
                    }
                }
                sampled += sampler.sample(logits: logits, rows: Array(samplerRows[start..<last]))
            }
            // NOTE: as vLLM's `in_progress_prompt_logprobs`: a chunked prefill's prompt logprobs are kept until the
            // chunk that completes the prompt, then reported together (the engine forwards only outputs with a
            // token).
            let first = max(start, sampling)
            if first < end {
                let targets = Array(promptTargets[(first - sampling)..<(end - sampling)])
                for (id, entries) in promptLogprobs(targets, logits: logits + (first - start) * vocab) {
                    inProgressPromptLogprobs[id, default: []] += entries
                }
            }
        }
        for r in sampleRows {
            if let done = inProgressPromptLogprobs.removeValue(forKey: ids[r]) { output.promptLogprobs[ids[r]] = done }
        }
        let wantsLogprobs = sampleRows.contains { requests[ids[$0]]!.samplingParams.logprobs != nil }
        if wantsLogprobs { output.logprobs = Array(repeating: [], count: ids.count) }
        for (r, row) in rows.enumerated() {
            requests[ids[r]]!.numComputedTokens = row.numComputedTokens + row.numScheduledTokens
        }
        for (i, r) in sampleRows.enumerated() {
            requests[ids[r]]!.tokenIDs.append(sampled[i].tokenID)
            output.sampledTokenIDs[r] = [sampled[i].tokenID]
            if wantsLogprobs, let lp = sampled[i].logprobs { output.logprobs![r] = [lp] }
        }
        return output
    }

    /// A stage before the last: runs its layers and hands the hidden states on; nothing is sampled, and the
    /// requests' computed-token counts advance as on the last stage.
    private func forwardToNextStage(
        _ step: SchedulerOutput, ids: [String], rows: [InputRow], inputs: PreparedInputs, cache: KVCache
    ) -> ModelRunnerOutput {
        let hidden = step.intermediate.map { gatherRows($0, ids: ids) }
        let out = model.forward(
            inputIDs: inputs.inputIDs, positions: inputs.positions, metadata: inputs.attentionMetadata,
            kvCache: cache, logitsIndices: [], inputHidden: hidden)
        let counts = rows.map(\.numScheduledTokens)
        let h = config.hiddenSize
        let values = Array(UnsafeBufferPointer(start: out, count: counts.reduce(0, +) * h))
        for (r, row) in rows.enumerated() {
            requests[ids[r]]!.numComputedTokens = row.numComputedTokens + row.numScheduledTokens
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

    private func promptLogprobs(
        _ targets: [(reqID: String, index: Int, target: TokenID, topK: Int)], logits: UnsafeMutablePointer<Float>
    ) -> [String: [PositionLogprobs]] {
        var result: [String: [PositionLogprobs]] = [:]
        let vocab = config.vocabSize
        for (i, t) in targets.enumerated() {
            let lp = Sampler.promptLogprobs(
                logits: logits + i * vocab, vocabSize: vocab, targets: [t.target],
                topK: t.topK)
            result[t.reqID, default: []].append(contentsOf: lp)
        }
        return result
    }
}
