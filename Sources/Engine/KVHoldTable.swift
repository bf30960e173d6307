import Synchronization

/// A producer's held prefills as consumers see them (docs/disaggregation.md §2): keep-alives and releases are answered
/// here at once, from any thread, instead of waiting for the engine loop between two steps — a 2,048-token prefill
/// step would otherwise hold every consumer's pull for seconds. The loop owns the blocks: it adds an entry when it
/// answers a prefill's params, and frees the blocks of released and expired entries between steps.
///
/// An entry exists exactly while a consumer may still read the blocks; whoever removes it first (a release, the
/// timeout, a runner loss) decides, so a release that finds no entry tells its consumer the blocks may be gone.
final class KVHoldTable: Sendable {
    private struct State {
        var deadlines: [String: ContinuousClock.Instant] = [:]
        /// Released ids whose blocks the loop has not freed yet.
        var releasedNotFreed: [String] = []
        var released = 0
        var timedOut = 0
    }

    private let state = Mutex(State())

    /// A prefill's params went out (the loop): its blocks are held until `deadline` unless kept alive or released.
    func add(_ id: String, deadline: ContinuousClock.Instant) {
        state.withLock { $0.deadlines[id] = deadline }
    }

    /// Restarts the timeout of the ids still held; returns them.
    func keepAlive(_ ids: [String], deadline: ContinuousClock.Instant) -> [String] {
        state.withLock { s in
            ids.filter { id in
                guard s.deadlines[id] != nil else { return false }
                s.deadlines[id] = deadline
                return true
            }
        }
    }

    /// Ends the holds of these ids; returns the ones that were held. The loop frees their blocks next.
    func release(_ ids: [String]) -> [String] {
        state.withLock { s in
            let held = ids.filter { s.deadlines.removeValue(forKey: $0) != nil }
            s.releasedNotFreed += held
            s.released += held.count
            return held
        }
    }

    /// The loop: the ids to free now — released ones, and the ones whose deadline passed (removed here).
    func takeFrees(now: ContinuousClock.Instant) -> (released: [String], expired: [String]) {
        state.withLock { s in
            let expired = s.deadlines.filter { $0.value <= now }.map(\.key)
            for id in expired { s.deadlines[id] = nil }
            s.timedOut += expired.count
            defer { s.releasedNotFreed.removeAll() }
            return (s.releasedNotFreed, expired)
        }
    }

    /// A lost runner: nothing is held any more (the loop frees every held block itself).
    func removeAll() {
        state.withLock { s in
            s.deadlines.removeAll()
            s.releasedNotFreed.removeAll()
        }
    }

    var isEmpty: Bool { state.withLock { $0.deadlines.isEmpty && $0.releasedNotFreed.isEmpty } }

    /// Held now; released and timed out since start.
    var counts: (held: Int, released: Int, timedOut: Int) {
        state.withLock { ($0.deadlines.count, $0.released, $0.timedOut) }
    }
}
