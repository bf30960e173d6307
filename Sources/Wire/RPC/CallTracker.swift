import NIOConcurrencyHelpers

/// Counts a server's in-flight calls so a graceful shutdown can refuse new ones and wait for the rest.
final class CallTracker: Sendable {
    private struct State {
        var active = 0
        var draining = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    /// Registers a call; false once draining started.
    func begin() -> Bool {
        state.withLockedValue { s in
            guard !s.draining else { return false }
            s.active += 1
            return true
        }
    }

    func end() {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            precondition(s.active > 0, "call ended twice")
            s.active -= 1
            guard s.active == 0 else { return [] }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume() }
    }

    var active: Int { state.withLockedValue { $0.active } }

    /// Refuses new calls from now on and returns when none is left.
    func drain() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let idle = state.withLockedValue { s -> Bool in
                s.draining = true
                if s.active == 0 { return true }
                s.waiters.append(c)
                return false
            }
            if idle { c.resume() }
        }
    }
}
