import ServingCore

extension ModelRunner {
    /// What a request will look like after this step's deltas, computed without touching state.
    private struct Projection {
        var numTokens: Int
        var numBlocks: Int
        var numComputedTokens: Int
    }

    /// Checks the whole step against the current state before anything changes, so a bad step is refused
    /// as a unit and the runner stays usable.
    func validate(_ step: SchedulerOutput, cache: KVCache) throws(RunnerError) {
        var projected: [String: Projection] = [:]
        func checkBlocks(_ id: String, _ blocks: [Int]) throws(RunnerError) {
            for b in blocks where b < 0 || b >= cache.numBlocks {
                throw .blockOutOfRange(reqID: id, blockID: b, numBlocks: cache.numBlocks)
            }
        }
        func checkTokens(_ id: String, _ tokens: [TokenID]) throws(RunnerError) {
            if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw .invalidRequest(reqID: id, reason: "token id \(bad) outside the vocabulary (\(config.vocabSize))")
            }
            if tokens.count > maxModelLen {
                throw .exceedsMaxModelLen(reqID: id, tokens: tokens.count, maxModelLen: maxModelLen)
            }
        }
        /// The sampler indexes logits by these ids, so they must be in the vocabulary before it runs.
        func checkParams(_ new: NewRequestData) throws(RunnerError) {
            do {
                try new.samplingParams.validate(vocabSize: config.vocabSize)
            } catch {
                throw .invalidRequest(reqID: new.reqID, reason: error.message)
            }
            let ids = new.samplingParams.badWords.flatMap { $0 } + (new.eosTokenID.map { [$0] } ?? [])
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw .invalidRequest(
                    reqID: new.reqID,
                    reason: "token id \(bad) in bad_words or eos_token_id "
                        + "outside the vocabulary (\(config.vocabSize))")
            }
        }
        for new in step.scheduledNewReqs {
            guard !new.promptTokenIDs.isEmpty else { throw .invalidRequest(reqID: new.reqID, reason: "empty prompt") }
            let all = new.allTokenIDs
            try checkTokens(new.reqID, all)
            try checkBlocks(new.reqID, new.blockIDs)
            try checkParams(new)
            guard new.numComputedTokens >= 0, new.numComputedTokens <= all.count else {
                throw .invalidRequest(
                    reqID: new.reqID,
                    reason: "num_computed_tokens \(new.numComputedTokens) "
                        + "outside the \(all.count) known tokens")
            }
            projected[new.reqID] = Projection(
                numTokens: all.count, numBlocks: new.blockIDs.count,
                numComputedTokens: new.numComputedTokens)
        }
        for delta in step.scheduledCachedReqs {
            guard !step.finishedReqIDs.contains(delta.reqID), let state = requests[delta.reqID] else {
                throw .unknownRequest(delta.reqID)
            }
            try checkBlocks(delta.reqID, delta.newBlockIDs)
            var numTokens = state.numTokens
            if let all = delta.allTokenIDs {
                try checkTokens(delta.reqID, all)
                numTokens = all.count
            } else {
                try checkTokens(delta.reqID, delta.newTokenIDs)
                numTokens += delta.newTokenIDs.count
                if numTokens - state.numPromptTokens > delta.numOutputTokens {
                    numTokens = state.numPromptTokens + delta.numOutputTokens
                }
            }
            let blocks = delta.resumed ? delta.newBlockIDs.count : state.blockIDs.count + delta.newBlockIDs.count
            projected[delta.reqID] = Projection(
                numTokens: numTokens, numBlocks: blocks,
                numComputedTokens: delta.numComputedTokens)
        }
        for (id, n) in step.numScheduledTokens {
            guard let p = projected[id] else { throw .unknownRequest(id) }
            guard n >= 1 else { throw .invalidRequest(reqID: id, reason: "scheduled \(n) tokens") }
            let end = p.numComputedTokens + n
            guard end <= maxModelLen else {
                throw .exceedsMaxModelLen(reqID: id, tokens: end, maxModelLen: maxModelLen)
            }
            let drafts = step.scheduledSpecDecodeTokens[id]?.count ?? 0
            guard p.numComputedTokens >= 0, end - drafts <= p.numTokens else {
                throw .invalidRequest(
                    reqID: id,
                    reason: "scheduled \(n - drafts) tokens from position \(p.numComputedTokens) "
                        + "but the runner knows \(p.numTokens) tokens")
            }
            guard end <= p.numBlocks * cache.blockSize else {
                throw .invalidRequest(
                    reqID: id,
                    reason: "\(p.numBlocks) blocks of \(cache.blockSize) cannot hold "
                        + "\(end) tokens")
            }
        }
        try validateSpecDecode(step, projected: projected)
        try validateIntermediate(step)
        if let grammar = step.grammar {
            guard grammar.isWellFormed(vocabSize: config.vocabSize) else {
                throw .badGrammarBitmask(
                    "\(grammar.words.count) words for \(grammar.requestIDs.count) distinct requests and a vocabulary "
                        + "of \(config.vocabSize)")
            }
            if let stray = grammar.requestIDs.first(where: { step.numScheduledTokens[$0] == nil }) {
                throw .badGrammarBitmask("request '\(stray)' is not scheduled in this step")
            }
        }
    }

    /// Draft tokens (docs/architecture.md §5.5) are the last of a scheduled request's tokens, after at least one known
    /// token, and the known tokens before them are all it has: the row samples. They are vocabulary ids or padding, and
    /// never meet a grammar bitmask (the engine-core does not propose drafts for constrained requests).
    private func validateSpecDecode(
        _ step: SchedulerOutput, projected: [String: Projection]
    ) throws(RunnerError) {
        for (id, drafts) in step.scheduledSpecDecodeTokens where !drafts.isEmpty {
            guard let n = step.numScheduledTokens[id], let p = projected[id] else {
                throw .invalidRequest(reqID: id, reason: "draft tokens for a request not scheduled in this step")
            }
            guard drafts.count < n else {
                throw .invalidRequest(
                    reqID: id,
                    reason: "\(drafts.count) draft tokens in \(n) scheduled tokens: at least one known token must "
                        + "come first")
            }
            guard p.numComputedTokens + n - drafts.count == p.numTokens else {
                throw .invalidRequest(
                    reqID: id,
                    reason: "draft tokens after position \(p.numComputedTokens + n - drafts.count), "
                        + "but the runner knows \(p.numTokens) tokens (drafts must follow the last one)")
            }
            if let bad = drafts.first(where: { Int($0) >= config.vocabSize }) {
                throw .invalidRequest(
                    reqID: id, reason: "draft token id \(bad) outside the vocabulary (\(config.vocabSize))")
            }
            if step.grammar?.requestIDs.contains(id) == true {
                throw .invalidRequest(
                    reqID: id, reason: "draft tokens and a grammar bitmask row in the same step (not supported)")
            }
        }
    }

    /// A later pipeline stage needs exactly one hidden row per scheduled token of every scheduled request; the
    /// first stage takes none.
    private func validateIntermediate(_ step: SchedulerOutput) throws(RunnerError) {
        guard let tensors = step.intermediate else {
            if !stage.isFirst && step.totalNumScheduledTokens > 0 {
                throw .badIntermediate("\(stage) needs the previous stage's hidden states")
            }
            return
        }
        guard !stage.isFirst else { throw .badIntermediate("the first stage takes token ids, not hidden states") }
        guard tensors.hiddenSize == config.hiddenSize, tensors.reqIDs.count == tensors.numTokens.count else {
            throw .badIntermediate("hidden size \(tensors.hiddenSize), model \(config.hiddenSize)")
        }
        let rows = tensors.numTokens.reduce(0, +)
        guard tensors.values.count == rows * tensors.hiddenSize else {
            throw .badIntermediate("\(tensors.values.count) values for \(rows) rows of \(tensors.hiddenSize)")
        }
        let given = Dictionary(zip(tensors.reqIDs, tensors.numTokens), uniquingKeysWith: { a, _ in a })
        guard given == step.numScheduledTokens else {
            throw .badIntermediate("rows per request do not match the step's scheduled tokens")
        }
    }

    /// The worker contract (docs/architecture.md §4.5): finished first, drop unscheduled rows (keeping their state),
    /// then add new requests and apply cached deltas.
    func updateStates(_ step: SchedulerOutput) {
        for id in step.finishedReqIDs {
            requests[id] = nil
            inProgressPromptLogprobs[id] = nil
        }
        batch.removeAll { step.numScheduledTokens[$0] == nil || requests[$0] == nil }
        var inBatch = Set(batch)
        func addToBatch(_ id: String) {
            if step.numScheduledTokens[id] != nil, inBatch.insert(id).inserted { batch.append(id) }
        }
        for new in step.scheduledNewReqs {
            requests[new.reqID] = CachedRequestState(
                reqID: new.reqID, tokenIDs: new.allTokenIDs, numPromptTokens: new.promptTokenIDs.count,
                samplingParams: new.samplingParams, eosTokenID: new.eosTokenID, blockIDs: new.blockIDs,
                numComputedTokens: new.numComputedTokens, lora: new.lora)
            addToBatch(new.reqID)
        }
        for delta in step.scheduledCachedReqs {
            var s = requests[delta.reqID]!
            if delta.resumed { s.blockIDs = delta.newBlockIDs } else { s.blockIDs += delta.newBlockIDs }
            if let all = delta.allTokenIDs {
                s.tokenIDs = all
                s.numPromptTokens = min(s.numPromptTokens, all.count)
            } else {
                s.tokenIDs += delta.newTokenIDs
                if s.numTokens - s.numPromptTokens > delta.numOutputTokens {
                    s.tokenIDs.removeLast(s.numTokens - s.numPromptTokens - delta.numOutputTokens)
                }
            }
            s.numComputedTokens = delta.numComputedTokens
            requests[delta.reqID] = s
            addToBatch(delta.reqID)
        }
    }
}
