import ServingCore

extension Scheduler {
    /// Applies one step's sampled tokens (docs/scheduling.md §12): appends them one by one, checks stop conditions
    /// after each, frees finished requests, and returns one output per request that produced tokens or finished.
    ///
    /// Partial prefill chunks (empty token lists) emit nothing. Requests aborted while the step ran are skipped.
    /// A request preempted while its step was in flight still receives that step's tokens. An output for a step
    /// this scheduler no longer tracks (already applied, or dropped by `preemptAllRunning`) is ignored.
    public func updateFromOutput(_ out: SchedulerOutput, _ result: ModelRunnerOutput) -> [EngineCoreOutput] {
        // Steps already applied, or dropped by `preemptAllRunning`, are not known any more: ignored.
        guard let step = inFlight.removeValue(forKey: out.stepID) else { return [] }
        let order = step.requests
        guard !order.isEmpty else { return [] }
        let aligned =
            result.reqIDs.count == order.count
            && zip(result.reqIDs, order).allSatisfy { $0 == $1.requestID }
        let index: [String: Int] =
            aligned ? [:] : Dictionary(result.reqIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })

        var outputs: [EngineCoreOutput] = []
        outputs.reserveCapacity(order.count)
        var stoppedRunning = false
        for (k, r) in order.enumerated() {
            let n = step.numTokens[k]
            r.numInFlightTokens -= n
            let isStale = r.numStaleOutputTokens > 0
            if isStale { r.numStaleOutputTokens -= n }
            if !step.placeholders.isEmpty && step.placeholders[k] { r.numOutputPlaceholders -= 1 }
            guard !r.isFinished else { continue }
            guard let at = aligned ? k : index[r.requestID] else { continue }
            var tokens = result.sampledTokenIDs[at]
            guard !tokens.isEmpty else { continue }
            if let drafts = out.scheduledSpecDecodeTokens[r.requestID], !drafts.isEmpty {
                // The runner returns the accepted drafts and one more token; the rejected drafts' positions were
                // computed for nothing and are computed again (docs/scheduling.md §15).
                let numAccepted = min(tokens.count - 1, drafts.count)
                if !isStale && r.numComputedTokens > 0 { r.retreatComputedTokens(by: drafts.count - numAccepted) }
                specDecodingStats.observe(drafts: drafts, numAccepted: numAccepted)
            }
            let statusBefore = r.status
            var stopped = false
            for (j, t) in tokens.enumerated() {
                r.appendOutputToken(t)
                if checkStop(r) {
                    stopped = true
                    // numComputedTokens covers every returned token but the last; keep that after trimming.
                    if !isStale { r.retreatComputedTokens(by: tokens.count - (j + 1)) }
                    tokens.removeSubrange((j + 1)...)
                    break
                }
            }
            var newLogprobs: [PositionLogprobs]? = nil
            if r.wantsLogprobs, let lp = result.logprobs?[at] {
                newLogprobs = Array(lp.prefix(tokens.count))
            }
            if config.numSpeculativeTokens > 0 && !isStale && statusBefore == .running {
                // Drafts are never cached when scheduled (they may be rejected): cache what is now verified, as vLLM
                // 0.33 does whenever speculation is on, even for a request that just stopped.
                kvCacheManager.cacheBlocks(r, numComputedTokens: r.numComputedTokens - r.numInFlightTokens)
            }
            if stopped {
                if statusBefore == .running { stoppedRunning = true } else { waiting.remove(r) }
                freeRequest(r)
            } else if !step.placeholders.isEmpty && statusBefore == .running {
                cacheKnownBlocks(r)
            }
            outputs.append(
                EngineCoreOutput(
                    reqID: r.requestID, newTokenIDs: tokens, newLogprobs: newLogprobs,
                    newPromptLogprobs: result.promptLogprobs[r.requestID], finishReason: r.status.finishReason,
                    stopReason: r.stopReason, numCachedTokens: max(r.numCachedTokens, 0),
                    kvTransferParams: stopped && r.kvTransfer != nil ? transferParams(forHeld: r.requestID) : nil))
        }
        if stoppedRunning { running.removeAll { $0.isFinished } }
        return outputs
    }

    /// Stop checks in vLLM 0.33's order: EOS, then stop token ids, then length (`max_tokens` or
    /// `max_model_len`). `min_tokens` is the sampler's job (it masks EOS and stop ids), not checked here.
    func checkStop(_ r: Request) -> Bool {
        let last = r.allTokenIDs[r.allTokenIDs.count - 1]
        if let eos = r.eosTokenID, last == eos {
            r.status = .finishedStopped
            return true
        }
        if !r.stopTokenIDs.isEmpty && r.stopTokenIDs.contains(last) {
            r.status = .finishedStopped
            r.stopReason = .tokenID(last)
            return true
        }
        if r.numTokens >= config.maxModelLen || r.numOutputTokens >= r.maxTokens {
            r.status = .finishedLengthCapped
            return true
        }
        return false
    }

    /// Sets the drafts proposed for requests after a step (vLLM `update_draft_token_ids`), for the next step to
    /// verify. Drafts for finished or unknown requests, and for requests whose last step was a prefill chunk
    /// (nothing was sampled), are dropped.
    public func updateDraftTokenIDs(_ drafts: [String: [TokenID]]) {
        for (id, tokens) in drafts {
            guard let r = requests[id], !r.isFinished else { continue }
            r.specTokenIDs = r.isPrefillChunk ? [] : tokens
        }
    }
}
