/// Which engine each in-flight request is on, and the per-engine in-flight counts derived from it.
///
/// Counts are kept per engine slot (the engine's `Backend.slot`), so reading them on the routing path is
/// an array access, not a hash lookup.
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
        /// That engine's slot (meaningless once `engine` is nil).
        public internal(set) var slot: Int
        /// Engines tried so far, in order (the current one last).
        public internal(set) var triedEngines: [EngineID]
        /// Whether any output reached the client; after that a failure is final.
        public internal(set) var firstTokenSent: Bool

        public var attempts: Int { triedEngines.count }
    }

    public let maxAttempts: Int
    fileprivate var entries: [String: Entry] = [:]
    private var counts = [Int](repeating: 0, count: PrefixIndex.maxSlots)
    public private(set) var totalInFlight = 0
    /// Requests on a retry attempt (their second or later), detached ones included; the retry budget's count.
    public private(set) var retriesInFlight = 0

    public init(maxAttempts: Int = 3) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.maxAttempts = maxAttempts
    }

    /// Requests in flight on the engine in `slot`; O(1), for the routing path.
    public func inFlight(slot: Int) -> Int { counts[slot] }

    /// Requests in flight on `engine`; O(requests), for diagnostics and tests.
    public func inFlight(on engine: EngineID) -> Int { entries.values.reduce(0) { $0 + ($1.engine == engine ? 1 : 0) } }

    /// Requests the ledger tracks, detached ones included.
    public var count: Int { entries.count }

    public func entry(for requestID: String) -> Entry? { entries[requestID] }

    /// Records a new request on `engine`, whose slot is `slot`.
    public mutating func dispatch(_ requestID: String, to engine: EngineID, slot: Int) {
        precondition(entries[requestID] == nil, "request \(requestID) is already in flight")
        entries[requestID] = Entry(engine: engine, slot: slot, triedEngines: [engine], firstTokenSent: false)
        acquire(slot)
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
    public mutating func retry(_ requestID: String, on engine: EngineID, slot: Int) {
        guard var entry = entries[requestID] else { preconditionFailure("retry of unknown request \(requestID)") }
        precondition(canRetry(requestID), "request \(requestID) may not be retried")
        precondition(!entry.triedEngines.contains(engine), "request \(requestID) already tried \(engine)")
        if entry.engine != nil { release(entry.slot) }
        if entry.attempts == 1 { retriesInFlight += 1 }
        entry.engine = engine
        entry.slot = slot
        entry.triedEngines.append(engine)
        entries[requestID] = entry
        acquire(slot)
    }

    /// Ends `requestID` on any exit path; returns its entry, or nil when it was already finished.
    @discardableResult
    public mutating func finish(_ requestID: String) -> Entry? {
        guard let entry = entries.removeValue(forKey: requestID) else { return nil }
        if entry.engine != nil { release(entry.slot) }
        if entry.attempts > 1 { retriesInFlight -= 1 }
        return entry
    }

    /// Detaches every request on a removed engine (its count goes to zero now); returns their ids, sorted.
    public mutating func detachAll(from engine: EngineID) -> [String] {
        var detached: [String] = []
        for (requestID, entry) in entries where entry.engine == engine {
            entries[requestID]?.engine = nil
            release(entry.slot)
            detached.append(requestID)
        }
        return detached.sorted()
    }

    private mutating func acquire(_ slot: Int) {
        counts[slot] += 1
        totalInFlight += 1
    }

    private mutating func release(_ slot: Int) {
        precondition(counts[slot] > 0, "in-flight count of slot \(slot) below zero")
        counts[slot] -= 1
        totalInFlight -= 1
    }

    /// Checks that every count equals the number of requests on that engine; for tests.
    public func checkInvariants() {
        var recount = [Int](repeating: 0, count: PrefixIndex.maxSlots)
        var slotOwner: [Int: EngineID] = [:]
        for entry in entries.values {
            precondition(entry.attempts >= 1 && entry.attempts <= maxAttempts)
            precondition(Set(entry.triedEngines).count == entry.attempts, "an engine was tried twice")
            if let engine = entry.engine {
                precondition(entry.triedEngines.last == engine)
                precondition(slotOwner.updateValue(engine, forKey: entry.slot).map { $0 == engine } ?? true)
                recount[entry.slot] += 1
            }
        }
        precondition(recount == counts, "in-flight counts \(counts) disagree with requests \(recount)")
        precondition(totalInFlight == counts.reduce(0, +))
        precondition(retriesInFlight == entries.values.filter { $0.attempts > 1 }.count, "retry count is off")
    }
}

extension DispatchLedger {
    /// Ids of the requests currently on `engine`, sorted; O(requests in flight).
    public func requests(on engine: EngineID) -> [String] {
        entries.filter { $0.value.engine == engine }.map(\.key).sorted()
    }
}
