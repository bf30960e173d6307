import Synchronization

/// The engine loop's input queue: adds and aborts from any thread, drained by the loop between steps.
///
/// The loop sleeps in `waitForWork()` only when the scheduler is idle; any add or abort wakes it.
final class EngineInbox: Sendable {
    struct Pending {
        var adds: [(EngineRequest, RequestSink)] = []
        var aborts: [String] = []
        /// Disaggregated prefill/decode: pulls that returned.
        var kvLoadResults: [KVLoadResult] = []

        var isEmpty: Bool { adds.isEmpty && aborts.isEmpty && kvLoadResults.isEmpty }
    }

    private struct State {
        var pending = Pending()
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    enum AddResult { case queued, closed, aborted }

    /// `aborted`: an abort for this id is queued already (its caller was cancelled while submitting).
    func add(_ request: EngineRequest, sink: RequestSink) -> AddResult {
        let (result, waiter) = state.withLock { s -> (AddResult, CheckedContinuation<Void, Never>?) in
            guard !s.closed else { return (.closed, nil) }
            if s.pending.aborts.contains(request.requestID) { return (.aborted, nil) }
            s.pending.adds.append((request, sink))
            defer { s.waiter = nil }
            return (.queued, s.waiter)
        }
        waiter?.resume()
        return result
    }

    /// Queues the aborts, and takes back the queued adds of those ids (returned): a request aborted before the
    /// loop admitted it must never run, and the loop may take the abort before the add (`takeAborts`).
    func abort(_ ids: [String]) -> [(EngineRequest, RequestSink)] {
        let (withdrawn, waiter) = state.withLock { s -> ([(EngineRequest, RequestSink)], CheckedContinuation<Void, Never>?) in
            let aborted = Set(ids)
            let withdrawn = s.pending.adds.filter { aborted.contains($0.0.requestID) }
            if !withdrawn.isEmpty { s.pending.adds.removeAll { aborted.contains($0.0.requestID) } }
            s.pending.aborts.append(contentsOf: ids)
            defer { s.waiter = nil }
            return (withdrawn, s.waiter)
        }
        waiter?.resume()
        return withdrawn
    }

    /// Everything queued so far.
    func take() -> Pending {
        state.withLock { s in
            defer { s.pending = Pending() }
            return s.pending
        }
    }

    /// Only the aborts (applied between execute and update, docs/architecture.md §4.1); adds stay for the next step.
    func takeAborts() -> [String] {
        state.withLock { s in
            defer { s.pending.aborts.removeAll() }
            return s.pending.aborts
        }
    }

    /// Suspends until something is queued (returns at once if something already is, or on cancellation).
    func waitForWork() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.closed || !s.pending.isEmpty { return true }
                    s.waiter = c
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }

    /// Suspends until something is queued or `timeout` passed.
    func waitForWork(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForWork() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Queues a finished pull's result for the loop.
    func add(_ result: KVLoadResult) {
        enqueue { $0.kvLoadResults.append(result) }
    }

    /// Wakes the loop if it sleeps (released KV holds to free), queueing nothing.
    func wake() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    @discardableResult
    private func enqueue(_ body: (inout Pending) -> Void) -> Bool {
        let (ok, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !s.closed else { return (false, nil) }
            body(&s.pending)
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        waiter?.resume()
        return ok
    }

    /// Refuses adds from now on; returns what was still queued.
    func close() -> Pending {
        let (pending, waiter) = state.withLock { s -> (Pending, CheckedContinuation<Void, Never>?) in
            s.closed = true
            defer {
                s.pending = Pending()
                s.waiter = nil
            }
            return (s.pending, s.waiter)
        }
        waiter?.resume()
        return pending
    }
}
