import Scheduling
import ServingCore

extension EngineCore {
    /// One launched step: the scheduler's decision and the executor call computing it.
    struct LaunchedStep {
        var output: SchedulerOutput
        var call: Task<ModelRunnerOutput, any Error>
    }

    /// The async-scheduling loop (vLLM's `step_with_batch_queue`; docs/architecture.md §4.9): two steps in flight.
    ///
    /// Each round drains the inbox, schedules and launches step N+1, and only then awaits step N and applies its
    /// output, so scheduling, output processing and streaming overlap the runner's work on N+1. The runner feeds
    /// its own sampled token of step N into step N+1; the scheduler counts it as an output placeholder. A request
    /// that stops by EOS is found one step late and its extra token is discarded by the scheduler.
    ///
    /// The executor call for N+1 starts when N's returns, so runners see steps in order and never two at once;
    /// what overlaps is this loop's work on N's output (and the scheduling of N+2) with the runner's work on N+1.
    /// When a step fails with a lost runner, the step submitted after it is awaited and dropped before recovery
    /// preempts everything.
    func runPipelined() async {
        var pending: LaunchedStep? = nil
        while !Task.isCancelled {
            if pending == nil && !scheduler.hasRequests { await idleWait() }
            if Task.isCancelled { break }
            applyInbox()
            var next: LaunchedStep? = nil
            if scheduler.hasRequests {
                let out = scheduler.schedule()
                startKVLoads()
                // NOTE: with a step in flight, an empty decision (every request already in flight) is not worth a
                // round trip; its step id simply goes unused. Nor is one while only KV pulls are awaited.
                if !out.isEmpty {
                    next = launch(out, after: pending?.call)
                } else if pending == nil {
                    if kv.pulls.isEmpty { next = launch(out, after: nil) } else { await idleWait() }
                }
            }
            guard let current = pending else {
                pending = next
                continue
            }
            pending = next
            switch await complete(current) {
            case .applied: break
            case .failed:
                // The step behind the rejected one is never sent (see `launch`): its requests are recomputed.
                if let dropped = pending {
                    _ = await dropped.call.result
                    scheduler.discardUnexecutedStep(dropped.output)
                    // The runner never saw this step: its requests are sent in full when they resume.
                    for id in dropped.output.numScheduledTokens.keys { knownToRunner.remove(id) }
                    pending = nil
                }
            case .runnerLost(let why):
                if let dropped = pending {
                    dropped.call.cancel()
                    _ = await dropped.call.result
                    pending = nil
                }
                await recoverFromRunnerLoss(why)
            }
        }
        if let dropped = pending {
            dropped.call.cancel()
            _ = await dropped.call.result
            pending = nil
        }
        shutDown()
    }

    /// Submits `out` without waiting for it: its executor call starts as soon as `previous` has returned, so the
    /// runners get step N+1 right after step N, while this loop is still applying step N's output. When `previous`
    /// failed, this step is not sent at all (it builds on state the runner never reached).
    private func launch(_ out: SchedulerOutput, after previous: Task<ModelRunnerOutput, any Error>?) -> LaunchedStep {
        let step = runnerStep(for: out)
        return LaunchedStep(
            output: out,
            call: Task { [self] in
                if case .failure = await previous?.result { throw CancellationError() }
                try Task.checkCancellation()
                return try await timedExecute(step)
            })
    }

    enum StepCompletion {
        case applied
        /// The runner rejected the step; its requests ended with finish reason "error".
        case failed
        /// The caller recovers after dropping the step launched behind this one.
        case runnerLost(String)
    }

    /// Awaits a launched step and applies its output.
    private func complete(_ launched: LaunchedStep) async -> StepCompletion {
        let out = launched.output
        let result: ModelRunnerOutput
        do {
            result = try await withTaskCancellationHandler {
                try await launched.call.value
            } onCancel: {
                launched.call.cancel()
            }
        } catch let ExecutorError.stepFailed(why) {
            failScheduled(out, why: why)
            forget(out)
            return .failed
        } catch {
            return .runnerLost(String(describing: error))
        }
        if let known = runnerIncarnation, known != result.runnerIncarnation {
            runnerIncarnation = result.runnerIncarnation
            return .runnerLost("the runner restarted (new incarnation)")
        }
        runnerIncarnation = result.runnerIncarnation
        applyAborts(inbox.takeAborts())
        deliver(scheduler.updateFromOutput(out, result))
        flushStep()
        publish()
        return .applied
    }

    /// Tells the scheduler a step produced nothing, so it stops counting that step as in flight.
    private func forget(_ out: SchedulerOutput) {
        _ = scheduler.updateFromOutput(out, ModelRunnerOutput(stepID: out.stepID, reqIDs: [], sampledTokenIDs: []))
    }
}
