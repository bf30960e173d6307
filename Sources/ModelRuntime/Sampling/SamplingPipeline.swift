import ServingCore

/// One row through the sampler order of docs/architecture.md §5.3: raw logprobs, allowed ids, bad words, min_tokens,
/// logit bias, penalties, greedy argmax, temperature, min_p, top-k, top-p, exponential race.
///
/// Pure apart from `scratch`: the token depends only on the logits, the row and `random`, which is
/// what lets `Sampler` spread rows over threads without changing any result.
enum SamplingPipeline {
    /// Samples `row` from `logits` (modified in place). `random` is nil exactly for greedy rows.
    static func sample(
        _ logits: UnsafeMutableBufferPointer<Float>, _ row: SamplerRow, random: CounterRandom?,
        scratch: SamplerScratch
    ) -> SampledToken {
        precondition(logits.count == scratch.vocabSize, "row length differs from the vocabulary size")
        let params = row.params
        let raw = UnsafeMutableBufferPointer(start: scratch.raw, count: logits.count)
        if params.logprobs != nil {
            _ = raw.initialize(from: logits)
        }
        applyLogitsProcessors(logits, row, scratch: scratch)
        let token: Int
        if let random, !params.isGreedy {
            applyTruncation(logits, params, scratch: scratch)
            token = ExponentialRace.sample(logits, random: random)
        } else {
            token = ExponentialRace.greedy(logits)
        }
        let logprobs = params.logprobs.map { k in
            LogprobsComputation.positionLogprobs(UnsafeBufferPointer(raw), token: token, topK: k)
        }
        return SampledToken(tokenID: TokenID(token), logprobs: logprobs)
    }

    /// Steps 8–10 of a random row: temperature, min_p, top-k, top-p.
    static func applyTruncation(
        _ logits: UnsafeMutableBufferPointer<Float>, _ params: SamplingParams, scratch: SamplerScratch
    ) {
        Truncation.applyTemperature(logits, temperature: params.temperature)
        Truncation.applyMinP(logits, minP: params.minP)
        Truncation.applyTopK(logits, k: params.topK, values: scratch.values)
        Truncation.applyTopP(logits, p: params.topP, values: scratch.values, indices: scratch.indices)
    }

    /// Steps 3–6, each skipped when its parameter is neutral.
    static func applyLogitsProcessors(
        _ logits: UnsafeMutableBufferPointer<Float>, _ row: SamplerRow, scratch: SamplerScratch
    ) {
        let params = row.params
        if let allowed = params.allowedTokenIDs {
            LogitsProcessors.applyAllowedTokenIDs(logits, allowed: allowed)
        }
        if !params.badWords.isEmpty {
            LogitsProcessors.applyBadWords(logits, badWords: params.badWords, output: row.outputTokenIDs)
        }
        LogitsProcessors.applyMinTokens(logits, row: row)
        if !params.logitBias.isEmpty {
            LogitsProcessors.applyLogitBias(logits, bias: params.logitBias)
        }
        LogitsProcessors.applyPenalties(
            logits, params: params, prompt: row.promptTokenIDs, output: row.outputTokenIDs,
            presence: scratch.presence, counts: scratch.counts)
    }
}
