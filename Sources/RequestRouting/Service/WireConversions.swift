import Wire

extension EngineLoad {
    /// The core's view of an engine's load report; hit rate = hits / queries.
    init(_ report: ApusV1.LoadReport) {
        let queries = report.prefixCacheQueries
        self.init(
            waiting: Int(report.numWaiting), running: Int(report.numRunning), kvUsage: Double(report.kvCacheUsage),
            prefixCacheHitRate: queries == 0 ? 0 : Double(report.prefixCacheHits) / Double(queries),
            stepCounter: report.stepCounter, lastStepTime: report.lastStepTimeUS &* 1_000,
            stepInFlight: report.stepInFlight
                ? StepTime(
                    duration: report.stepElapsedUS &* 1_000, numScheduledTokens: Int(report.stepNumScheduledTokens))
                : nil,
            lastStep: report.lastStepNumScheduledTokens > 0 || report.lastStepDurationUS > 0
                ? StepTime(
                    duration: report.lastStepDurationUS &* 1_000,
                    numScheduledTokens: Int(report.lastStepNumScheduledTokens))
                : nil)
        waitingForRemoteKVs = Int(report.numWaitingForRemoteKvs)
    }
}

extension KVEventBatch {
    /// The core's form of one `SubscribeKVEvents` message. Kinds this build does not know become empty stores,
    /// so their sequence numbers still count (a skipped number would look like a gap).
    init(_ batch: ApusV1.KVEventBatch) {
        self.init(
            records: batch.events.map { event in
                let keys = event.blockHashes.map { BlockHashKey(bytes: $0) }
                let kind: KVEvent =
                    switch event.kind {
                    case .stored: .blocksStored(keys)
                    case .removed: .blocksRemoved(keys)
                    case .cleared: keys.isEmpty ? .allBlocksCleared : .snapshot(keys)
                    case .unspecified, .unrecognized: .blocksStored([])
                    }
                return Record(sequenceNumber: event.seq, event: kind)
            })
    }
}

extension ServingStatus {
    init(_ status: ApusV1.ServingStatus) {
        switch status {
        case .serving: self = .serving
        case .notServing, .serviceUnknown: self = .notServing
        case .unknown, .unrecognized: self = .unknown
        }
    }
}

extension ApusV1.BackendState {
    init(_ state: HealthState) {
        switch state {
        case .pending: self = .pending
        case .ready: self = .ready
        case .notReady: self = .notReady
        case .failed: self = .failed
        case .draining, .removed: self = .draining
        }
    }
}

extension RequestOutcome {
    /// How an upstream call's error counts: transport failures and timeouts are retryable and held against
    /// the engine; UNAVAILABLE from the engine itself (no runner, shutting down) is retryable but not held
    /// against it; the caller's mistakes are final and prove the engine works; the rest is an engine error.
    static func classify(_ error: RPCError) -> RequestOutcome {
        switch error.code {
        case .unavailable: error.origin == .transport ? .transportError : .unavailable
        case .deadlineExceeded: .timedOut
        case .cancelled: .unavailable
        case .invalidArgument, .alreadyExists, .notFound, .failedPrecondition, .outOfRange, .resourceExhausted:
            .clientError
        default: .engineError
        }
    }
}
