import ServingCore

/// The logits processors that run before the greedy argmax, in the order of docs/architecture.md §5.3 (steps 3–6):
/// `allowed_token_ids`, `bad_words`, `min_tokens`, `logit_bias`, then the penalties.
///
/// Each works in place on one row of `vocabSize` logits; masked tokens become −inf.
enum LogitsProcessors {
    /// Every token outside `allowed` → −inf (step 3).
    static func applyAllowedTokenIDs(_ logits: UnsafeMutableBufferPointer<Float>, allowed: [TokenID]) {
        // NOTE: save the allowed values, fill the row, restore: no vocabulary-sized mask.
        let kept = allowed.map { id -> Float in
            precondition(id >= 0 && Int(id) < logits.count, "allowed token id \(id) out of vocabulary")
            return logits[Int(id)]
        }
        logits.update(repeating: -.infinity)
        for (id, value) in zip(allowed, kept) { logits[Int(id)] = value }
    }

    /// Bans the last token of each bad-word sequence whose preceding tokens equal the most recent
    /// output tokens (step 4); a one-token sequence is always banned.
    static func applyBadWords(_ logits: UnsafeMutableBufferPointer<Float>, badWords: [[TokenID]], output: [TokenID]) {
        for word in badWords {
            guard let last = word.last, Int(last) >= 0, Int(last) < logits.count else { continue }
            let prefix = word.count - 1
            guard prefix <= output.count else { continue }
            if output[(output.count - prefix)...].elementsEqual(word[..<prefix]) {
                logits[Int(last)] = -.infinity
            }
        }
    }

    /// While fewer than `minTokens` tokens have been generated, EOS (unless `ignoreEOS`) and every
    /// stop token id → −inf (step 5).
    static func applyMinTokens(_ logits: UnsafeMutableBufferPointer<Float>, row: SamplerRow) {
        let params = row.params
        guard row.outputTokenIDs.count < params.minTokens else { return }
        if let eos = row.eosTokenID, !params.ignoreEOS, Int(eos) >= 0, Int(eos) < logits.count {
            logits[Int(eos)] = -.infinity
        }
        for id in params.stopTokenIDs where Int(id) >= 0 && Int(id) < logits.count {
            logits[Int(id)] = -.infinity
        }
    }

    /// Adds each bias to its token's logit (step 5).
    static func applyLogitBias(_ logits: UnsafeMutableBufferPointer<Float>, bias: [TokenID: Float]) {
        for (id, value) in bias where Int(id) >= 0 && Int(id) < logits.count {
            logits[Int(id)] += value
        }
    }

    /// Repetition penalty over prompt ∪ output (positive logits ÷ r, negative × r), then
    /// `−= frequency × count` and `−= presence` over the output only (step 6).
    ///
    /// `presence` and `counts` are zeroed scratch of `logits.count` entries; left zeroed on return.
    static func applyPenalties(
        _ logits: UnsafeMutableBufferPointer<Float>, params: SamplingParams,
        prompt: [TokenID], output: [TokenID],
        presence: UnsafeMutablePointer<UInt8>, counts: UnsafeMutablePointer<Int32>
    ) {
        let r = params.repetitionPenalty
        let frequency = params.frequencyPenalty
        let presencePenalty = params.presencePenalty
        guard r != 1 || frequency != 0 || presencePenalty != 0 else { return }
        // The scratch is written by token id: an id outside the vocabulary would corrupt memory.
        for ids in [prompt, output] {
            for id in ids { precondition(id >= 0 && Int(id) < logits.count, "token id \(id) out of vocabulary") }
        }
        if r != 1 {
            for id in prompt { presence[Int(id)] = 1 }
            for id in output { presence[Int(id)] = 1 }
            // Visit each distinct token once: apply, then clear its flag.
            func penalise(_ ids: [TokenID]) {
                for id in ids where presence[Int(id)] != 0 {
                    presence[Int(id)] = 0
                    let x = logits[Int(id)]
                    logits[Int(id)] = x > 0 ? x / r : x * r
                }
            }
            penalise(prompt)
            penalise(output)
        }
        guard frequency != 0 || presencePenalty != 0 else { return }
        for id in output { counts[Int(id)] += 1 }
        for id in output where counts[Int(id)] != 0 {
            let count = counts[Int(id)]
            counts[Int(id)] = 0
            // NOTE: two subtractions, in vLLM's order, so results match it bit for bit.
            logits[Int(id)] -= frequency * Float(count)
            logits[Int(id)] -= presencePenalty
        }
    }
}
