extension Scheduler {
    /// Preemption by recompute: frees the request's blocks, resets its progress and puts it at the front
    /// of the waiting queue. The caller has already taken it out of `running`.
    func preempt(_ r: Request) {
        precondition(r.status == .running, "only running requests can be preempted")
        kvCacheManager.free(r)
        r.status = .preempted
        r.setNumComputedTokens(0)
        r.specTokenIDs = []
        r.numPreemptions += 1
        r.numStaleOutputTokens = r.numInFlightTokens
        numPreemptions += 1
        waiting.prepend(r)
        preemptedReqIDs.insert(r.requestID)
        preemptedInOrder.append(r.requestID)
    }

    /// Handles the loss of a runner's KV memory: every running request goes back to the waiting queue with
    /// nothing computed (to be recomputed), and the prefix cache is dropped, since the blocks it points at hold
    /// nothing any more. Preempts in reverse order so the requests come back in their original (FIFO) order.
    ///
    /// The outputs of steps still in flight are dropped: their tokens would land after the recompute starts.
    public func preemptAllRunning() {
        preemptEveryRunningRequest()
        dropTransfersForRunnerLoss()
        let ok = kvCacheManager.resetPrefixCache()
        precondition(ok, "blocks still held after preempting every running request")
    }

    private func preemptEveryRunningRequest() {
        while let r = running.popLast() {
            preempt(r)
            r.lastScheduledStep = -1
        }
        // The dropped steps will never be updated: nothing of theirs is in flight any more.
        for step in inFlight.values {
            for r in step.requests {
                r.numInFlightTokens = 0
                r.numStaleOutputTokens = 0
                r.numOutputPlaceholders = 0
            }
        }
        inFlight.removeAll()
    }

    /// Drops the prefix cache (docs/scheduling.md §10). False while any request holds blocks, unless
    /// `resetRunningRequests` first preempts every running request (then it always succeeds).
    @discardableResult
    public func resetPrefixCache(resetRunningRequests: Bool = false) -> Bool {
        if resetRunningRequests { preemptEveryRunningRequest() }
        let ok = kvCacheManager.resetPrefixCache()
        precondition(ok || !resetRunningRequests, "blocks still held after preempting every running request")
        return ok
    }
}
