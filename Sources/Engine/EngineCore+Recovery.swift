import Scheduling
import ServingCore

extension EngineCore {
    /// A runner lost its KV memory: recompute everything once it (or a replacement) is back
    /// (docs/architecture.md §8.1).
    ///
    /// Every running request is preempted, the prefix cache dropped, and requests wait up to `runnerLossTimeout`;
    /// after that they end with finish reason "error", readiness turns `failed` (new requests are refused at once)
    /// and the engine keeps trying to reconnect.
    func recoverFromRunnerLoss(_ why: String) async {
        state.setReadiness(.runnerLost(why))
        kvHolds.removeAll()
        scheduler.preemptAllRunning()
        _ = scheduler.resetPrefixCache()
        knownToRunner.removeAll()
        publish()
        let deadline = ContinuousClock.now + configuration.runnerLossTimeout
        var failedWaiting = false
        while !Task.isCancelled {
            do {
                try await reconnectWithin(deadline: failedWaiting ? nil : deadline)
                runnerIncarnation = nil
                state.setReadiness(.ready)
                publish()
                return
            } catch is CancellationError {
                return
            } catch {
                // The deadline passed with the runner still gone: fail what is queued, keep trying.
                if !failedWaiting {
                    failedWaiting = true
                    let reason = "runner lost and did not come back within \(configuration.runnerLossTimeout): \(why)"
                    state.setReadiness(.failed(reason))
                    failAll(reason: reason)
                }
            }
            // NOTE: with readiness failed, requests that reached the inbox meanwhile are refused, not admitted.
            applyInbox()
        }
    }

    private func reconnectWithin(deadline: ContinuousClock.Instant?) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [executor, configuration] in
                try await executor.reconnect()
                _ = try await executor.describe(
                    maxNumBatchedTokens: configuration.scheduler.maxNumBatchedTokens,
                    maxNumSeqs: configuration.scheduler.maxNumSeqs)
                try await executor.initializeCache(
                    numBlocks: configuration.scheduler.numGPUBlocks, blockSize: configuration.scheduler.blockSize)
            }
            if let deadline {
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    throw ExecutorError.runnerLost("timed out")
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Ends every live request with finish reason "error".
    func failAll(reason: String) {
        let ids = Array(scheduler.requests.keys)
        scheduler.finishRequests(ids, status: .finishedAborted)
        for id in ids {
            guard let sink = takeSink(id) else { continue }
            sink.emit(EngineCoreOutput(reqID: id, newTokenIDs: [], finishReason: .error, errorMessage: reason))
            closeAfterFlush(sink, .runnerUnavailable(reason))
        }
        flushStep()
        publish()
    }
}
