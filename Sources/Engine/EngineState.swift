import Scheduling
import ServingCore
import Synchronization

/// What the engine loop publishes for other threads after every step: load, readiness, KV events; and around
/// every runner call, its timing.
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
        /// Speculative decoding counters since start (all zero when it is off).
        public var specDecoding = SpecDecodingStats()
        /// LoRA (`--enable-lora`; `maxLoras` 0 when off): the distinct adapters of running and of waiting requests,
        /// sorted (vLLM's `vllm:lora_requests_info` labels).
        public var maxLoras = 0
        public var runningLoRAs: [String] = []
        public var waitingLoRAs: [String] = []
        /// Disaggregated prefill/decode counters (all zero without it).
        public var kvTransfer = KVTransferStats()
        public init() {}
    }

    /// The runners' work as the loop timed it, on the engine's clock (nanoseconds): the router tells a slow step
    /// from a hung one by it.
    public struct StepTiming: Sendable, Equatable {
        /// When the Execute call in flight started, and the tokens its step scheduled; nil between steps.
        public var inFlightSince: UInt64?
        public var inFlightTokens = 0
        /// How long the last Execute call that returned took, and the tokens its step scheduled (0 / 0 = none yet).
        public var lastDuration: UInt64 = 0
        public var lastTokens = 0
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
        var publishCount: UInt64 = 0
        var timing = StepTiming()
        var readiness = Readiness.starting
        var events: [SequencedKVCacheEvent] = []
        /// Every block hash the prefix cache holds after the newest event (the events applied in order).
        var cachedHashes: Set<BlockHash> = []
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher = 0
        var readinessWatchers: [Int: AsyncStream<Readiness>.Continuation] = [:]
        var live: Set<String> = []
        /// Tokens reserved by the requests in `EngineCore.generate` (the admission bound).
        var pendingTokens = 0
        /// Pulls that landed since the metrics last took them (bounded).
        var kvLoads: [KVLoadStats] = []
    }

    /// KV events kept for resubscription; older ones are dropped (a subscriber that asks for them resyncs).
    public let maxBufferedEvents: Int
    private let state = Mutex(State())

    public init(maxBufferedEvents: Int = 65_536) {
        self.maxBufferedEvents = maxBufferedEvents
    }

    public var load: Load { state.withLock { $0.load } }
    public var readiness: Readiness { state.withLock { $0.readiness } }
    public var stepTiming: StepTiming { state.withLock { $0.timing } }
    /// How many times the loop has published (after every step, and when it starts); changes mean a new report.
    public var publishCount: UInt64 { state.withLock { $0.publishCount } }

    /// An Execute call of `tokens` scheduled tokens starts at `now`. Calls never overlap (see `ModelExecutor`).
    func stepStarted(tokens: Int, at now: UInt64) {
        state.withLock { s in
            s.timing.inFlightSince = now
            s.timing.inFlightTokens = tokens
        }
    }

    /// The Execute call in flight returned at `now`. Only one that `completed` (not thrown) and scheduled tokens
    /// times a step: a step that only carries finished ids says nothing about the time per token.
    func stepReturned(at now: UInt64, completed: Bool) {
        state.withLock { s in
            if completed, s.timing.inFlightTokens > 0, let since = s.timing.inFlightSince {
                s.timing.lastDuration = now >= since ? now - since : 0
                s.timing.lastTokens = s.timing.inFlightTokens
            }
            s.timing.inFlightSince = nil
            s.timing.inFlightTokens = 0
        }
    }

    func update(load: Load, events: [SequencedKVCacheEvent]) {
        let watchers = state.withLock { s -> [AsyncStream<Void>.Continuation] in
            s.load = load
            s.publishCount &+= 1
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

    /// A pull landed (for the per-request transfer histograms); the oldest are dropped past 4,096 untaken.
    func recordKVLoad(_ stats: KVLoadStats) {
        state.withLock { s in
            if s.kvLoads.count >= 4_096 { s.kvLoads.removeFirst() }
            s.kvLoads.append(stats)
        }
    }

    /// The pulls that landed since the last call.
    public func takeKVLoads() -> [KVLoadStats] {
        state.withLock { s in
            defer { s.kvLoads.removeAll() }
            return s.kvLoads
        }
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

    /// Adds `tokens` (negative to release) unless that would pass `limit`; true when added. A request larger than
    /// the limit is still admitted when nothing else is pending, so no request is refused forever.
    @discardableResult
    func reservePending(tokens: Int, limit: Int) -> Bool {
        state.withLock { s in
            guard tokens <= 0 || s.pendingTokens == 0 || s.pendingTokens + tokens <= limit else { return false }
            s.pendingTokens += tokens
            return true
        }
    }

    /// Tokens the requests in flight reserved (the admission bound's use).
    public var pendingTokens: Int { state.withLock { $0.pendingTokens } }

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
