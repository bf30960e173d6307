import Synchronization

/// The engine loop's input queue: adds and aborts from any thread, drained by the loop between steps.
///
/// The loop sleeps in `waitForWork()` only when the scheduler is idle; any add or abort wakes it.
final class EngineInbox: Sendable {
    struct Pending {
        var adds: [(EngineRequest, RequestSink)] = []
        var aborts: [String] = []
    }

    private struct State {
        var pending = Pending()
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    func add(_ request: EngineRequest, sink: RequestSink) -> Bool {
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !s.closed else { return (false, nil) }
            s.pending.adds.append((request, sink))
            defer { s.waiter = nil }
            return (true, s.waiter)
        }
        waiter?.resume()
        return accepted
    }

    func abort(_ ids: [String]) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.pending.aborts.append(contentsOf: ids)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
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
                    if s.closed || !s.pending.adds.isEmpty || !s.pending.aborts.isEmpty { return true }
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
