import Synchronization

/// Every routed request in flight, by request id (for aborts, timeouts and failing over hung engines).
final class ActiveRequests: Sendable {
    private let table = Mutex<[String: AttemptControl]>([:])

    func insert(_ control: AttemptControl) {
        table.withLock { $0[control.requestID] = control }
    }

    /// Inserts `control` unless a request with its id is live; false when one is (a duplicate id).
    func insertIfAbsent(_ control: AttemptControl) -> Bool {
        table.withLock {
            guard $0[control.requestID] == nil else { return false }
            $0[control.requestID] = control
            return true
        }
    }

    /// Removes `control` (only that object: a new request may already reuse the id).
    func remove(_ control: AttemptControl) {
        table.withLock {
            if $0[control.requestID] === control { $0[control.requestID] = nil }
        }
    }

    subscript(requestID: String) -> AttemptControl? { table.withLock { $0[requestID] } }

    var all: [AttemptControl] { table.withLock { Array($0.values) } }

    var count: Int { table.withLock { $0.count } }
}
