import ServingCore

extension ModelRunner {
    /// Computes the step's logits a chunk of rows at a time (`LogitsLayout.chunks`) and uses each chunk before the
    /// next: one token per sampling row (grammar masks first), the accepted drafts plus one token per row with drafts
    /// (in layout order), and prompt logprobs, kept in `inProgressPromptLogprobs`. The sampler hands out its unseeded
    /// streams in layout order whatever the chunk size.
    func sampleLogits(
        _ layout: LogitsLayout, step: SchedulerOutput, ids: [String], rows: [InputRow]
    ) -> (sampled: [SampledToken], verified: [[SampledToken]]) {
        let vocab = config.vocabSize
        let samplerRows = layout.sampleRows.map { samplerRow(ids[$0]) }
        let specDecodeRows = layout.specRows.map { r in
            SpecDecodeRow(row: samplerRow(ids[r]), draftTokenIDs: rows[r].draftTokenIDs)
        }
        let grammarRows = step.grammar.map { g in
            Dictionary(uniqueKeysWithValues: g.requestIDs.enumerated().map { ($1, $0) })
        }
        if captureLogits { capturedLogits = [:] }
        var sampled: [SampledToken] = []
        sampled.reserveCapacity(samplerRows.count)
        var verified: [[SampledToken]] = []
        let (single, sampling) = (layout.numSampled, layout.numSampling)
        for chunk in layout.chunks(maxRows: model.logitsChunkRows) {
            let logits = model.logits(rows: chunk)
            func start(_ range: Range<Int>) -> UnsafeMutablePointer<Float> {
                logits + (range.lowerBound - chunk.lowerBound) * vocab
            }
            let one = chunk.clamped(to: 0..<single)
            if !one.isEmpty {
                for i in one {
                    let id = ids[layout.sampleRows[i]]
                    let row = start(i..<i + 1)
                    if let grammar = step.grammar, let g = grammarRows?[id] {
                        Self.applyGrammar(grammar, row: g, to: row, vocabSize: vocab)
                    }
                    if captureLogits { capturedLogits[id] = Array(UnsafeBufferPointer(start: row, count: vocab)) }
                }
                sampled += sampler.sample(logits: start(one), rows: Array(samplerRows[one]))
            }
            let spec = chunk.clamped(to: single..<sampling)
            if !spec.isEmpty {
                // The chunk holds whole verifications, the next ones in layout order.
                let first = verified.count
                var (last, width) = (first, 0)
                while width < spec.count {
                    width += specDecodeRows[last].draftTokenIDs.count + 1
                    last += 1
                }
                precondition(width == spec.count, "a chunk split a verification")
                if captureLogits {
                    var offset = 0
                    for i in first..<last {
                        let rows = specDecodeRows[i].draftTokenIDs.count + 1
                        capturedLogits[ids[layout.specRows[i]]] = Array(
                            UnsafeBufferPointer(start: start(spec) + offset * vocab, count: rows * vocab))
                        offset += rows
                    }
                }
                verified += sampler.verify(logits: start(spec), rows: Array(specDecodeRows[first..<last]))
            }
            // NOTE: as vLLM's `in_progress_prompt_logprobs`: a chunked prefill's prompt logprobs are kept until the
            // chunk that completes the prompt, then reported together (the engine forwards only outputs with a
            // token).
            let prompt = chunk.clamped(to: sampling..<layout.indices.count)
            for (i, t) in layout.promptTargets[(prompt.lowerBound - sampling)..<(prompt.upperBound - sampling)]
                .enumerated()
            {
                inProgressPromptLogprobs[t.reqID, default: []] += Sampler.promptLogprobs(
                    logits: start(prompt) + i * vocab, vocabSize: vocab, targets: [t.target], topK: t.topK)
            }
        }
        return (sampled, verified)
    }

    /// Request `id` as the sampler sees it before this step's tokens.
    private func samplerRow(_ id: String) -> SamplerRow {
        let s = requests[id]!
        // NOTE: only the repetition penalty reads the prompt; skip copying it otherwise.
        let prompt = s.samplingParams.repetitionPenalty != 1 ? Array(s.promptTokenIDs) : []
        return SamplerRow(
            params: s.samplingParams, promptTokenIDs: prompt, outputTokenIDs: Array(s.outputTokenIDs),
            eosTokenID: s.eosTokenID)
    }
}
