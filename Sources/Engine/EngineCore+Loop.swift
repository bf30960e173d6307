import Foundation
import Scheduling
import ServingCore

extension EngineCore {
    /// Runs the loop until cancelled. The executor's cache must be initialized first (see `EngineBootstrap`).
    public func run() async {
        state.setReadiness(.ready)
        publish()
        if configuration.scheduler.asyncScheduling { return await runPipelined() }
        while !Task.isCancelled {
            if !scheduler.hasRequests { await idleWait() }
            if Task.isCancelled { break }
            applyInbox()
            guard scheduler.hasRequests else { continue }
            await step()
        }
        shutDown()
    }

    /// One schedule → execute → update round.
    func step() async {
        let out = scheduler.schedule()
        startKVLoads()
        // NOTE: only requests waiting for their KV pull: nothing for the runners until one lands.
        if out.isEmpty && !kv.pulls.isEmpty { return await idleWait() }
        let step = runnerStep(for: out)
        let result: ModelRunnerOutput
        do {
            result = try await timedExecute(step)
        } catch let error as ExecutorError {
            if case .stepFailed(let why) = error {
                failScheduled(out, why: why)
            } else {
                await recoverFromRunnerLoss(String(describing: error))
            }
            return
        } catch {
            await recoverFromRunnerLoss(String(describing: error))
            return
        }
        if let known = runnerIncarnation, known != result.runnerIncarnation {
            runnerIncarnation = result.runnerIncarnation
            await recoverFromRunnerLoss("the runner restarted (new incarnation)")
            return
        }
        runnerIncarnation = result.runnerIncarnation
        applyAborts(inbox.takeAborts())
        deliver(scheduler.updateFromOutput(out, result))
        if configuration.speculative != nil { proposeDrafts(after: out, result) }
        flushStep()
        publish()
    }

    /// Runs one step on the executor and publishes when the call started and how long it took, so the router can
    /// judge a long step against the time per token earlier steps took. Safe off the loop (the pipelined loop calls
    /// it from the step's own task): it touches only the executor and `state`.
    func timedExecute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput {
        state.stepStarted(tokens: step.totalNumScheduledTokens, at: clock())
        do {
            let result = try await executor.execute(step)
            state.stepReturned(at: clock(), completed: true)
            return result
        } catch {
            state.stepReturned(at: clock(), completed: false)
            throw error
        }
    }

    /// What the runners get for `out`: the scheduler's step, where a scheduled request the runners do not hold
    /// (they restarted) is sent in full as a new request, with the tokens it generated so far. Records which
    /// requests the runners hold from now on.
    func runnerStep(for out: SchedulerOutput) -> SchedulerOutput {
        var step = out
        for r in out.scheduledNewReqs { knownToRunner.insert(r.reqID) }
        if out.scheduledCachedReqs.contains(where: { !knownToRunner.contains($0.reqID) }) {
            step.scheduledCachedReqs = []
            for row in out.scheduledCachedReqs {
                guard !knownToRunner.contains(row.reqID), let r = scheduler.requests[row.reqID] else {
                    step.scheduledCachedReqs.append(row)
                    continue
                }
                step.scheduledNewReqs.append(
                    NewRequestData(
                        reqID: r.requestID, promptTokenIDs: r.promptTokenIDs, samplingParams: r.samplingParams,
                        eosTokenID: r.eosTokenID, blockIDs: r.blockIDs, numComputedTokens: row.numComputedTokens,
                        lora: r.lora, outputTokenIDs: Array(r.allTokenIDs[r.numPromptTokens...])))
                knownToRunner.insert(row.reqID)
            }
        }
        for id in out.finishedReqIDs { knownToRunner.remove(id) }
        if !matchers.isEmpty { step.grammar = grammarBitmask(for: step) }
        return step
    }

    func applyInbox() {
        let pending = inbox.take()
        applyAborts(pending.aborts)
        for (request, sink) in pending.adds { admit(request, sink) }
        applyKVTransfer(pending.kvLoadResults)
        flushStep()
    }

    private func admit(_ request: EngineRequest, _ sink: RequestSink) {
        guard sinks[request.requestID] == nil else { return sink.close(.duplicate(request.requestID)) }
        if case .failed(let why) = state.readiness { return sink.close(.runnerUnavailable(why)) }
        do {
            try scheduler.addRequest(
                requestID: request.requestID, promptTokenIDs: request.promptTokenIDs,
                samplingParams: request.samplingParams, eosTokenID: request.eosTokenID, priority: request.priority,
                lora: request.lora, cacheSalt: request.cacheSalt, kvTransfer: request.kvTransfer)
            sinks[request.requestID] = sink
            trackProducer(of: request)
            if let grammar = request.grammar { matchers[request.requestID] = grammar.makeMatcher() }
            state.markLive(request.requestID)
        } catch {
            sink.close(.invalid(error.description))
        }
    }

    /// Aborted requests end with a final output whose finish reason is "abort" (idempotent).
    func applyAborts(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        let live = ids.filter { scheduler.requests[$0] != nil }
        scheduler.finishRequests(live, status: .finishedAborted)
        for id in live {
            abortsTotal += 1
            guard let sink = takeSink(id) else { continue }
            sink.emit(EngineCoreOutput(reqID: id, newTokenIDs: [], finishReason: .abort, numCachedTokens: 0))
            closeAfterFlush(sink, nil)
        }
    }

    func deliver(_ outputs: [EngineCoreOutput]) {
        for var o in outputs {
            guard let sink = sinks[o.reqID] else { continue }
            if matchers[o.reqID] != nil { advanceGrammar(&o) }
            if o.kvTransferParams != nil { completeTransferParams(&o) }
            proposer?.observe(reqID: o.reqID, newTokens: o.newTokenIDs)
            sink.emit(o)
            if o.finishReason != nil {
                _ = takeSink(o.reqID)
                finishedTotal += 1
                closeAfterFlush(sink, nil)
            }
        }
    }

    /// The runner rejected the step: its requests end with finish reason "error"; the engine goes on.
    func failScheduled(_ out: SchedulerOutput, why: String) {
        let ids = out.scheduledReqIDs
        scheduler.finishRequests(ids, status: .finishedAborted)
        for id in ids {
            guard let sink = takeSink(id) else { continue }
            let message = "the runner refused the step: \(why)"
            sink.emit(EngineCoreOutput(reqID: id, newTokenIDs: [], finishReason: .error, errorMessage: message))
            closeAfterFlush(sink, nil)
        }
        flushStep()
        publish()
    }

    /// Closes a sink after this step's outputs are flushed, so its stream end never overtakes its last output.
    func closeAfterFlush(_ sink: RequestSink, _ error: EngineRequestError?) {
        pendingCloses.append((sink, error))
    }

    /// Hands the step's outputs to the transport (one flush per connection), then ends finished streams.
    func flushStep() {
        onStepDelivered?()
        let closes = pendingCloses
        pendingCloses.removeAll(keepingCapacity: true)
        for (sink, error) in closes { sink.close(error) }
    }

    /// Removes a request's sink (it is done with the engine).
    func takeSink(_ id: String) -> RequestSink? {
        matchers[id] = nil
        proposer?.finished(reqID: id)
        if !kv.producers.isEmpty { releaseProducer(of: id) }
        guard let sink = sinks.removeValue(forKey: id) else { return nil }
        state.markDone(id)
        return sink
    }

    func publish() {
        let stats = scheduler.stats
        var load = EngineState.Load()
        load.numRunning = stats.numRunningReqs
        load.numWaiting = stats.numWaitingReqs
        load.kvCacheUsage = stats.kvCacheUsage
        load.prefixCacheQueries = stats.prefixCacheQueries
        load.prefixCacheHits = stats.prefixCacheHits
        load.numPreemptions = stats.numPreemptions
        load.stepCounter = stats.numSteps
        load.lastStepTimeMicros = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        load.numGPUBlocks = configuration.scheduler.numGPUBlocks
        load.numFreeBlocks = scheduler.kvCacheManager.numFreeBlocks
        load.numStreams = state.load.numStreams
        load.numAbortsTotal = abortsTotal
        load.numRequestsFinished = finishedTotal
        load.specDecoding = scheduler.specDecodingStats
        load.kvTransfer = kvTransferStats
        if let maxLoras = configuration.scheduler.maxLoras {
            load.maxLoras = maxLoras
            (load.runningLoRAs, load.waitingLoRAs) = scheduler.loraNames
        }
        state.update(load: load, events: scheduler.takeKVEvents())
    }

    func shutDown() {
        flushStep()
        let pending = inbox.close()
        for (_, sink) in pending.adds { sink.close(.shuttingDown) }
        for (_, sink) in sinks { sink.close(.shuttingDown) }
        sinks.removeAll()
    }
}
