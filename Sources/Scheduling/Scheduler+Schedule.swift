import ServingCore

extension Scheduler {
    /// Decides one step (docs/scheduling.md §3–§5): running requests first, in order, each for its full share of
    /// the token budget or not at all (KV shortage preempts instead); then, only if nothing was preempted,
    /// waiting requests in queue order until one does not fit.
    public func schedule() -> SchedulerOutput {
        let stepID = nextStepID
        nextStepID += 1
        var budget = config.maxNumBatchedTokens
        // NOTE: the threshold exists so one long prefill cannot starve others; alone, a request uses it all.
        let threshold = running.count + waiting.count > 1 ? config.longPrefillTokenThreshold : 0

        var scheduledRunning: [Request] = []
        var runningTokens: [Int] = []
        var runningNewBlocks: [[Int]] = []
        scheduledRunning.reserveCapacity(running.count)
        runningTokens.reserveCapacity(running.count)
        runningNewBlocks.reserveCapacity(running.count)
        var preempted: [Request] = []
        // Speculative decoding (docs/scheduling.md §15): the drafts each scheduled request verifies.
        var spec: [String: [TokenID]] = [:]
        var prefillScheduled = false

        var i = 0
        while i < running.count && budget > 0 {
            let r = running[i]
            if r.numOutputPlaceholders > 0 && inFlightStepsSuffice(r) {
                i += 1
                continue
            }
            // NOTE: placeholders are 0 unless async scheduling is on; then they let one decode run ahead.
            var n = r.numTokens + r.specTokenIDs.count + r.numOutputPlaceholders - r.numComputedTokens
            if threshold > 0 && n > threshold { n = threshold }
            n = min(n, budget, config.maxModelLen - 1 - r.numComputedTokens)
            if n <= 0 {
                i += 1
                continue
            }
            var newBlocks: [Int]? = nil
            while true {
                newBlocks = kvCacheManager.allocateSlots(
                    r, numNewTokens: n, numLookaheadTokens: config.numLookaheadTokens)
                if newBlocks != nil { break }
                let victim: Request
                if config.policy == .priority {
                    let v = running.indices.max { a, b in
                        (running[a].priority, running[a].arrival) < (running[b].priority, running[b].arrival)
                    }!
                    victim = running.remove(at: v)
                    if v < i { i -= 1 }
                    if let k = scheduledRunning.firstIndex(where: { $0 === victim }) {
                        budget += runningTokens[k]
                        scheduledRunning.remove(at: k)
                        runningTokens.remove(at: k)
                        runningNewBlocks.remove(at: k)
                        spec[victim.requestID] = nil
                    }
                } else {
                    victim = running.removeLast()
                }
                preempt(victim)
                preempted.append(victim)
                if victim === r { break }
            }
            guard let blocks = newBlocks else {
                // A lowest-priority request that preempted itself: the ones after it may still fit.
                if config.policy == .priority && r.status == .preempted { continue }
                break
            }
            scheduledRunning.append(r)
            runningTokens.append(n)
            runningNewBlocks.append(blocks)
            budget -= n
            i += 1
            prefillScheduled = prefillScheduled || r.isPrefillChunk
            if !r.specTokenIDs.isEmpty {
                // The drafts that fit: the step may have been cut by the budget or max_model_len.
                let numSpec = n + r.numComputedTokens - r.numTokens - r.numOutputPlaceholders
                if numSpec > 0 { spec[r.requestID] = Array(r.specTokenIDs.prefix(numSpec)) }
                r.specTokenIDs = []
            }
        }

        var admitted: [Request] = []
        var admittedTokens: [Int] = []
        if preempted.isEmpty {
            let padding = SpecPadding(
                numSpeculativeTokens: config.numSpeculativeTokens, prefillScheduled: prefillScheduled,
                runningScheduled: !scheduledRunning.isEmpty)
            admitWaiting(
                budget: &budget, threshold: threshold, padding: padding, admitted: &admitted,
                tokens: &admittedTokens, spec: &spec)
        }
        return makeOutput(
            stepID: stepID, scheduledRunning: scheduledRunning, runningTokens: runningTokens,
            runningNewBlocks: runningNewBlocks, admitted: admitted, admittedTokens: admittedTokens, spec: spec)
    }

    /// The requests a not-yet-updated step scheduled, in scheduling order (running first, then admissions).
    public func scheduledRequests(stepID: Int) -> [Request] { inFlight[stepID]?.requests ?? [] }

    /// When an admission that computes one token is padded with rejected drafts to a full speculative step.
    private struct SpecPadding {
        var numSpeculativeTokens: Int
        var prefillScheduled: Bool
        var runningScheduled: Bool
    }

    /// Admits waiting requests in queue order while budget, `maxNumSeqs` and KV blocks allow.
    ///
    /// Speculative decoding: an admission with one token left to compute (a full prefix-cache hit, a short resume)
    /// is padded with `numSpeculativeTokens` padding drafts (−1, always rejected) when no prefill runs in the step,
    /// as vLLM 0.33 does so that every decode row has the same shape; it costs the padded KV slots for one step.
    private func admitWaiting(
        budget: inout Int, threshold: Int, padding: SpecPadding, admitted: inout [Request], tokens: inout [Int],
        spec: inout [String: [TokenID]]
    ) {
        var skipped: [Request] = []
        defer { for r in skipped.reversed() { waiting.prepend(r) } }
        var loras = LoRASlots(config: config, running: running)
        while budget > 0, let r = waiting.peek() {
            if running.count >= config.maxNumSeqs { break }
            // NOTE: a request preempted while a step of it was in flight waits until that output is in, so the
            // late tokens cannot land in the middle of its recompute (vLLM 0.33).
            if r.numStaleOutputTokens > 0 || !loras.admits(r) {
                skipped.append(waiting.pop()!)
                continue
            }
            var counted = false
            if r.kvTransfer != nil {
                switch admitRemotePrefill(r) {
                case .proceed: break
                case .proceedCounted: counted = true
                case .stay:
                    skipped.append(waiting.pop()!)
                    continue
                case .noBlocks: return
                }
            }
            var hitBlocks: [Int] = []
            var hit = r.numComputedTokens
            if hit == 0 { (hitBlocks, hit) = kvCacheManager.getComputedBlocks(r) }
            // NOTE: numTokens, not the prompt: a resumed request recomputes its outputs too.
            var n = r.numTokens - hit
            let k = padding.numSpeculativeTokens
            var padded = false
            if k > 0 && n == 1 && !padding.prefillScheduled && (padding.runningScheduled || hit > 0)
                && hit + 1 + k + 1 <= config.maxModelLen
            {
                if 1 + k > budget { break }
                n = 1 + k
                padded = true
            }
            if threshold > 0 && n > threshold { n = threshold }
            if !config.enableChunkedPrefill && n > budget { break }
            n = min(n, budget)
            // NOTE: vLLM 0.33 asserts here when the long-prefill threshold cut a padded step; drop the padding.
            if padded && n != 1 + k {
                n = 1
                padded = false
            }
            guard
                kvCacheManager.allocateSlots(
                    r, numNewTokens: n, numNewComputedTokens: hit - r.numComputedTokens, newComputedBlocks: hitBlocks,
                    numLookaheadTokens: config.numLookaheadTokens, fullSequenceMustFit: config.reserveFullSequence)
                    != nil
            else { break }
            if !counted { kvCacheManager.recordPrefixCacheStats(r, numHits: hit) }
            waiting.pop()
            running.append(r)
            loras.add(r)
            admitted.append(r)
            tokens.append(n)
            budget -= n
            r.setNumComputedTokens(hit)
            if r.numCachedTokens < 0 { r.numCachedTokens = hit }
            if padded { spec[r.requestID] = Array(repeating: -1, count: k) }
        }
    }

    private func makeOutput(
        stepID: Int, scheduledRunning: [Request], runningTokens: [Int], runningNewBlocks: [[Int]],
        admitted: [Request], admittedTokens: [Int], spec: [String: [TokenID]]
    ) -> SchedulerOutput {
        let count = scheduledRunning.count + admitted.count
        var numScheduled = [String: Int](minimumCapacity: count)
        var order: [Request] = []
        order.reserveCapacity(count)
        var tokens: [Int] = []
        tokens.reserveCapacity(count)
        var total = 0
        var cached: [CachedRequestData] = []
        cached.reserveCapacity(count)
        var newReqs: [NewRequestData] = []
        // One pass per list; the output carries numComputedTokens from before this step, so each request is
        // recorded first and advanced after.
        for k in 0..<scheduledRunning.count {
            let r = scheduledRunning[k]
            let n = runningTokens[k]
            // NOTE: with async scheduling the runner already holds the tokens of its in-flight steps (vLLM too).
            cached.append(
                CachedRequestData(
                    reqID: r.requestID, newBlockIDs: runningNewBlocks[k], numComputedTokens: r.numComputedTokens,
                    numOutputTokens: r.numOutputTokens + r.numOutputPlaceholders,
                    allTokenIDs: r.lastScheduledStep != stepID - 1 ? r.allTokenIDs : nil))
            numScheduled[r.requestID] = n
            total += n
            r.advanceComputedTokens(by: n)
            r.numInFlightTokens += n
            r.lastScheduledStep = stepID
            r.isPrefillChunk = r.numComputedTokens < r.numTokens + r.numOutputPlaceholders
            order.append(r)
            tokens.append(n)
        }
        for r in admitted where r.status == .preempted {
            cached.append(
                CachedRequestData(
                    reqID: r.requestID, resumed: true, newBlockIDs: r.blockIDs, numComputedTokens: r.numComputedTokens,
                    numOutputTokens: r.numOutputTokens,
                    allTokenIDs: r.lastScheduledStep != stepID - 1 ? r.allTokenIDs : nil))
        }
        for r in admitted where r.status == .waiting {
            newReqs.append(
                NewRequestData(
                    reqID: r.requestID, promptTokenIDs: r.promptTokenIDs, samplingParams: r.samplingParams,
                    eosTokenID: r.eosTokenID, blockIDs: r.blockIDs, numComputedTokens: r.numComputedTokens,
                    lora: r.lora))
        }
        for k in 0..<admitted.count {
            let r = admitted[k]
            let n = admittedTokens[k]
            r.status = .running
            numScheduled[r.requestID] = n
            total += n
            r.advanceComputedTokens(by: n)
            r.numInFlightTokens += n
            r.lastScheduledStep = stepID
            r.isPrefillChunk = r.numComputedTokens < r.numTokens + r.numOutputPlaceholders
            order.append(r)
            tokens.append(n)
        }
        precondition(total <= config.maxNumBatchedTokens, "scheduled \(total) tokens over the budget")
        precondition(running.count <= config.maxNumSeqs, "\(running.count) running over max_num_seqs")
        if !order.isEmpty {
            inFlight[stepID] = ScheduledStep(
                requests: order, numTokens: tokens,
                placeholders: config.asyncScheduling ? addOutputPlaceholders(order) : [])
        }
        let output = SchedulerOutput(
            stepID: stepID, scheduledNewReqs: newReqs, scheduledCachedReqs: cached, numScheduledTokens: numScheduled,
            finishedReqIDs: finishedReqIDs, preemptedReqIDs: preemptedReqIDs, scheduledSpecDecodeTokens: spec)
        finishedReqIDs = []
        preemptedReqIDs = []
        lastPreemptedInOrder = preemptedInOrder
        preemptedInOrder = []
        return output
    }
}
