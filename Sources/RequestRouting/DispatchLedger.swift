/// Which engine each in-flight request is on, and the per-engine in-flight counts derived from it.
///
/// The one place that changes the counts, so each request adds exactly one to its current engine's count
/// while it is there and takes exactly one away when it leaves: on finish (success, error, cancel), on a
/// retry that moves it, or when its engine is removed (the request stays, detached, until the caller
/// finishes or retries it). Retries follow the router's rule: only before the first token reached the
/// client, never twice on the same engine, at most `maxAttempts` attempts in all.
public struct DispatchLedger: Sendable {
    /// One in-flight request.
    public struct Entry: Sendable, Equatable {
        /// The engine the request is on; nil once that engine was removed.
        public internal(set) var engine: EngineID?
        /// Engines tried so far, in order (the current one last).
        public internal(set) var triedEngines: [EngineID]
        /// Whether any output reached the client; after that a failure is final.
        public internal(set) var firstTokenSent: Bool

        public var attempts: Int { triedEngines.count }
    }

    public let maxAttempts: Int
    fileprivate var entries: [String: Entry] = [:]
    private var counts: [EngineID: Int] = [:]

    public init(maxAttempts: Int = 3) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.maxAttempts = maxAttempts
    }

    /// Requests in flight on `engine`.
    public func inFlight(on engine: EngineID) -> Int { counts[engine] ?? 0 }

    /// Requests in flight on all engines (detached ones excluded).
    public var totalInFlight: Int { counts.values.reduce(0, +) }

    /// Requests the ledger tracks, detached ones included.
    public var count: Int { entries.count }

    public func entry(for requestID: String) -> Entry? { entries[requestID] }

    /// Records a new request on `engine`.
    public mutating func dispatch(_ requestID: String, to engine: EngineID) {
        precondition(entries[requestID] == nil, "request \(requestID) is already in flight")
        entries[requestID] = Entry(engine: engine, triedEngines: [engine], firstTokenSent: false)
        counts[engine, default: 0] += 1
    }

    /// Records that output of `requestID` reached the client; from now on it is never retried.
    public mutating func markFirstTokenSent(_ requestID: String) {
        entries[requestID]?.firstTokenSent = true
    }

    /// Whether `requestID` may move to another engine after a failure.
    public func canRetry(_ requestID: String) -> Bool {
        guard let entry = entries[requestID] else { return false }
        return !entry.firstTokenSent && entry.attempts < maxAttempts
    }

    /// Moves `requestID` to `engine` for another attempt; the old engine's count drops, the new one's rises.
    public mutating func retry(_ requestID: String, on engine: EngineID) {
        guard var entry = entries[requestID] else { preconditionFailure("retry of unknown request \(requestID)") }
        precondition(canRetry(requestID), "request \(requestID) may not be retried")
        precondition(!entry.triedEngines.contains(engine), "request \(requestID) already tried \(engine)")
        if let old = entry.engine { release(old) }
        entry.engine = engine
        entry.triedEngines.append(engine)
        entries[requestID] = entry
        counts[engine, default: 0] += 1
    }

    /// Ends `requestID` on any exit path; returns its entry, or nil when it was already finished.
    @discardableResult
    public mutating func finish(_ requestID: String) -> Entry? {
        guard let entry = entries.removeValue(forKey: requestID) else { return nil }
        if let engine = entry.engine { release(engine) }
        return entry
    }

    /// Detaches every request on a removed engine (its count goes to zero now); returns their ids, sorted.
    public mutating func detachAll(from engine: EngineID) -> [String] {
        var detached: [String] = []
        for (requestID, entry) in entries where entry.engine == engine {
            entries[requestID]?.engine = nil
            detached.append(requestID)
        }
        counts[engine] = nil
        return detached.sorted()
    }

    private mutating func release(_ engine: EngineID) {
        guard let count = counts[engine] else { preconditionFailure("in-flight count of \(engine) below zero") }
        precondition(count > 0, "in-flight count of \(engine) below zero")
        counts[engine] = count == 1 ? nil : count - 1
    }

    /// Checks that every count equals the number of requests on that engine; for tests.
    public func checkInvariants() {
        var recount: [EngineID: Int] = [:]
        for entry in entries.values {
            precondition(entry.attempts >= 1 && entry.attempts <= maxAttempts)
            precondition(Set(entry.triedEngines).count == entry.attempts, "an engine was tried twice")
            if let engine = entry.engine {
                precondition(entry.triedEngines.last == engine)
                recount[engine, default: 0] += 1
            }
        }
        precondition(recount == counts, "in-flight counts \(counts) disagree with requests \(recount)")
    }
}

extension DispatchLedger {
    /// Ids of the requests currently on `engine`, sorted; O(requests in flight).
    public func requests(on engine: EngineID) -> [String] {
        entries.filter { $0.value.engine == engine }.map(\.key).sorted()
    }
}
