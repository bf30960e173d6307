import ServingCore

/// Async scheduling (vLLM's `AsyncScheduler`; docs/scheduling.md §14): two steps in flight.
///
/// The engine schedules step N+1 before step N's sampled tokens are back. The runner feeds its own sampled token
/// into the next step, so the scheduler only has to count it: each request keeps `numOutputPlaceholders`, the
/// sampled tokens of its in-flight steps. The running loop schedules `numTokens + numOutputPlaceholders −
/// numComputedTokens` tokens, which lets exactly one decode run ahead of the step being computed.
///
/// Contracts:
/// - A step that will sample for a request (not a partial prefill chunk) adds one placeholder; its output
///   removes it again, even when the request finished or was preempted meanwhile (never twice: the step that
///   added it is forgotten once updated, and `preemptAllRunning` zeroes the placeholders of the steps it drops).
/// - A request whose in-flight steps already reach `max_tokens` (or `max_model_len`) is not scheduled again.
/// - A request that stops by EOS or a stop token is found one step late: the step after it still ran, and that
///   step's token is discarded (the request is finished when its output arrives).
/// - Once tokens arrive, the request's now-known full blocks enter the prefix cache.
/// - A structured-output request never runs ahead: its next token's mask depends on the token in flight, which the
///   engine-core's grammar matcher has not seen yet (such requests are scheduled as without async scheduling).
///   Neither does any request under speculative decoding: its drafts are proposed from the tokens of the last step.
extension Scheduler {
    /// At most this many sampling steps of one request in flight: the one being computed and one ahead.
    static let maxSamplingStepsInFlight = 2

    /// True when the request's in-flight steps already produce every token it may still emit, or when as many of
    /// its sampling steps as allowed are in flight (one for a structured-output request).
    func inFlightStepsSuffice(_ r: Request) -> Bool {
        let p = r.numOutputPlaceholders
        let runsAhead = r.samplingParams.structuredOutputs == nil && config.numSpeculativeTokens == 0
        let allowed = runsAhead ? Self.maxSamplingStepsInFlight : 1
        return p >= allowed || r.numOutputTokens + p >= r.maxTokens
            || r.numTokens + p >= config.maxModelLen
    }

    /// Adds a placeholder to every request of the step that will sample a token, i.e. whose computed tokens now
    /// cover all its known tokens plus the placeholders before this step; returns which did.
    func addOutputPlaceholders(_ order: [Request]) -> [Bool] {
        order.map { r in
            guard r.numComputedTokens >= r.numTokens + r.numOutputPlaceholders else { return false }
            r.numOutputPlaceholders += 1
            return true
        }
    }

    /// Takes back a step that never reached the runners (the step before it was rejected): it is no longer in
    /// flight, its running requests lose the progress it claimed and are recomputed like preempted ones (resumed
    /// with all their tokens), and the finished ids it carried go out with the next step instead.
    public func discardUnexecutedStep(_ out: SchedulerOutput) {
        finishedReqIDs.formUnion(out.finishedReqIDs)
        guard let step = inFlight.removeValue(forKey: out.stepID) else { return }
        // Reversed: each preemption goes to the front of the waiting queue, so they come back in step order.
        for k in step.requests.indices.reversed() {
            let r = step.requests[k]
            let n = step.numTokens[k]
            r.numInFlightTokens -= n
            if r.numStaleOutputTokens > 0 { r.numStaleOutputTokens -= n }
            if !step.placeholders.isEmpty && step.placeholders[k] { r.numOutputPlaceholders -= 1 }
            guard r.status == .running else { continue }
            running.removeAll { $0 === r }
            preempt(r)
            r.lastScheduledStep = -1
        }
    }

    /// Caches the full blocks of the tokens the scheduler knows and the runner computed.
    func cacheKnownBlocks(_ r: Request) {
        guard config.enablePrefixCaching else { return }
        kvCacheManager.cacheBlocks(r, numComputedTokens: min(r.numComputedTokens - r.numOutputPlaceholders, r.numTokens))
    }
}
