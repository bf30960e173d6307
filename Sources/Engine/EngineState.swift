import Scheduling
import ServingCore
import Synchronization

/// What the engine loop publishes for other threads after every step: load, readiness, KV events.
///
/// RPC handlers (GetLoad, WatchLoad, SubscribeKVEvents, health) read this; only the loop writes it.
public final class EngineState: Sendable {
    /// A point-in-time load report.
    public struct Load: Sendable, Equatable {
        public var numRunning = 0
        public var numWaiting = 0
        public var kvCacheUsage = 0.0
        public var prefixCacheQueries = 0
        public var prefixCacheHits = 0
        public var numPreemptions = 0
        public var stepCounter = 0
        /// Wall-clock microseconds of the last finished step (0 before the first).
        public var lastStepTimeMicros: UInt64 = 0
        public var numGPUBlocks = 0
        public var numFreeBlocks = 0
        public var numStreams = 0
        public var numAbortsTotal = 0
        public var numRequestsFinished = 0
        public init() {}
    }

    public enum Readiness: Sendable, Equatable {
        case starting
        case ready
        /// A runner is gone; requests wait for it (or fail after the timeout).
        case runnerLost(String)
        case failed(String)
    }

    private struct State {
        var load = Load()
        var readiness = Readiness.starting
        var events: [SequencedKVCacheEvent] = []
        /// Every block hash the prefix cache holds after the newest event (the events applied in order).
        var cachedHashes: Set<BlockHash> = []
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher = 0
        var readinessWatchers: [Int: AsyncStream<Readiness>.Continuation] = [:]
        var live: Set<String> = []
    }

    /// KV events kept for resubscription; older ones are dropped (a subscriber that asks for them resyncs).
    public let maxBufferedEvents: Int
    private let state = Mutex(State())

    public init(maxBufferedEvents: Int = 65_536) {
        self.maxBufferedEvents = maxBufferedEvents
    }

    public var load: Load { state.withLock { $0.load } }
    public var readiness: Readiness { state.withLock { $0.readiness } }

    func update(load: Load, events: [SequencedKVCacheEvent]) {
        let watchers = state.withLock { s -> [AsyncStream<Void>.Continuation] in
            s.load = load
            if !events.isEmpty {
                for e in events {
                    switch e.event {
                    case .blockStored(let hashes, _, _, _, _): s.cachedHashes.formUnion(hashes)
                    case .blockRemoved(let hashes): s.cachedHashes.subtract(hashes)
                    case .allBlocksCleared: s.cachedHashes.removeAll()
                    }
                }
                s.events.append(contentsOf: events)
                if s.events.count > maxBufferedEvents { s.events.removeFirst(s.events.count - maxBufferedEvents) }
            }
            return Array(s.watchers.values)
        }
        watchers.forEach { $0.yield() }
    }

    func setReadiness(_ r: Readiness) {
        let watchers = state.withLock { s -> [AsyncStream<Readiness>.Continuation] in
            guard s.readiness != r else { return [] }
            s.readiness = r
            return Array(s.readinessWatchers.values)
        }
        watchers.forEach { $0.yield(r) }
    }

    func adjustStreams(by delta: Int) {
        state.withLock { $0.load.numStreams += delta }
    }

    func markLive(_ id: String) {
        _ = state.withLock { $0.live.insert(id) }
    }

    func markDone(_ id: String) {
        _ = state.withLock { $0.live.remove(id) }
    }

    /// How many of `ids` are queued or running right now.
    public func liveCount(of ids: [String]) -> Int {
        state.withLock { s in ids.reduce(0) { $0 + (s.live.contains($1) ? 1 : 0) } }
    }

    /// The newest KV event's sequence number (0 before any).
    public var latestKVEventSequence: UInt64 {
        state.withLock { $0.events.last?.sequenceNumber ?? 0 }
    }

    /// A tick after every step (coalesced: a slow reader sees the latest state, not a backlog).
    public func stepTicks() -> AsyncStream<Void> {
        let (stream, c) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s -> Int in
            s.nextWatcher += 1
            s.watchers[s.nextWatcher] = c
            return s.nextWatcher
        }
        c.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) } }
        return stream
    }

    /// The current readiness at once, then every change.
    public func readinessChanges() -> AsyncStream<Readiness> {
        let (stream, c) = AsyncStream<Readiness>.makeStream(bufferingPolicy: .bufferingNewest(8))
        let id = state.withLock { s -> Int in
            s.nextWatcher += 1
            s.readinessWatchers[s.nextWatcher] = c
            c.yield(s.readiness)
            return s.nextWatcher
        }
        c.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.readinessWatchers.removeValue(forKey: id) } }
        return stream
    }

    /// The block hashes the prefix cache holds as of event `sequence` (the newest), read together, for a
    /// subscriber whose position was already dropped from the buffer.
    public func kvSnapshot() -> (sequence: UInt64, hashes: [BlockHash]) {
        state.withLock { s in (s.events.last?.sequenceNumber ?? 0, Array(s.cachedHashes)) }
    }

    /// Buffered KV events after `sequence`; nil when some of them were already dropped (the caller must resync).
    public func kvEvents(after sequence: UInt64) -> [SequencedKVCacheEvent]? {
        state.withLock { s in
            guard let first = s.events.first else { return [] }
            if sequence + 1 < first.sequenceNumber { return nil }
            let start = s.events.firstIndex { $0.sequenceNumber > sequence } ?? s.events.count
            return Array(s.events[start...])
        }
    }
}
