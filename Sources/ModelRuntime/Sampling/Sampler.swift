import ServingCore

/// Turns a batch of logits rows into one token per row, following vLLM V1's sampler order
/// (reference §9.2): raw logprobs, allowed ids, bad words, min_tokens, logit bias, penalties,
/// greedy argmax, temperature, min_p, top-k, top-p, exponential-race sampling.
///
/// The model runner owns one and calls `sample` once per step. Seeded requests draw from a
/// counter-based stream keyed by `(seed, output position)`, so their tokens do not depend on batch
/// composition, chunking or preemption; unseeded rows draw from the sampler's own generator.
/// Work buffers are allocated once (vocabulary-sized), so a step allocates only its results.
public struct Sampler: Sendable {
    public let vocabSize: Int
    private var generator: SplitMix64
    private var scratch: SamplerScratch

    public init(vocabSize: Int, seed: UInt64 = 0) {
        precondition(vocabSize > 0, "vocabSize must be positive")
        self.vocabSize = vocabSize
        self.generator = SplitMix64(seed: seed)
        self.scratch = SamplerScratch(vocabSize: vocabSize)
    }

    /// Samples one token per row. `logits` is `rows.count × vocabSize`, row-major, and is modified in
    /// place (after the call a greedy row holds its penalised logits, a random row its truncated ones).
    public mutating func sample(logits: UnsafeMutablePointer<Float>, rows: [SamplerRow]) -> [SampledToken] {
        if !isKnownUniquelyReferenced(&scratch) {
            scratch = SamplerScratch(vocabSize: vocabSize)
        }
        var result: [SampledToken] = []
        result.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            let rowLogits = UnsafeMutableBufferPointer(start: logits + i * vocabSize, count: vocabSize)
            result.append(sampleRow(rowLogits, row))
        }
        return result
    }

    /// For each target i, the logprob and rank of `targets[i]` under row i of `logits` plus the
    /// `topK` best tokens of that row (raw log-softmax). Used for prompt logprobs.
    public static func promptLogprobs(
        logits: UnsafePointer<Float>, vocabSize: Int, targets: [TokenID], topK: Int
    ) -> [PositionLogprobs] {
        precondition(vocabSize > 0, "vocabSize must be positive")
        return targets.enumerated().map { i, target in
            let row = UnsafeBufferPointer(start: logits + i * vocabSize, count: vocabSize)
            return LogprobsComputation.positionLogprobs(row, token: Int(target), topK: topK)
        }
    }

    private mutating func sampleRow(_ logits: UnsafeMutableBufferPointer<Float>, _ row: SamplerRow) -> SampledToken {
        let params = row.params
        if params.logprobs != nil {
            _ = UnsafeMutableBufferPointer(start: scratch.raw, count: vocabSize).initialize(from: logits)
        }
        applyLogitsProcessors(logits, row)
        let token: Int
        if params.isGreedy {
            token = ExponentialRace.greedy(logits)
        } else {
            let random = params.seed.map { CounterRandom(seed: $0, position: row.outputTokenIDs.count) }
                ?? generator.nextStream()
            Truncation.applyTemperature(logits, temperature: params.temperature)
            Truncation.applyMinP(logits, minP: params.minP)
            Truncation.applyTopK(logits, k: params.topK, values: scratch.values)
            Truncation.applyTopP(logits, p: params.topP, values: scratch.values, indices: scratch.indices)
            token = ExponentialRace.sample(logits, random: random)
        }
        let logprobs = params.logprobs.map { k in
            LogprobsComputation.positionLogprobs(
                UnsafeBufferPointer(start: scratch.raw, count: vocabSize), token: token, topK: k)
        }
        return SampledToken(tokenID: TokenID(token), logprobs: logprobs)
    }

    /// Steps 3–6 of the reference order, each skipped when its parameter is neutral.
    private func applyLogitsProcessors(_ logits: UnsafeMutableBufferPointer<Float>, _ row: SamplerRow) {
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
