import CApusProto

extension ApusV1 {
    /// `apus.v1.LoadReport`: an engine's load, for the router's balancing and for `WatchLoad`.
    public struct LoadReport: Sendable, Equatable {
        public var engineID: String
        public var numRunning: UInt32
        public var numWaiting: UInt32
        /// Fraction of KV blocks in use, 0…1.
        public var kvCacheUsage: Float
        public var prefixCacheQueries: UInt64
        public var prefixCacheHits: UInt64
        public var numPreemptions: UInt64
        public var stepCounter: UInt64
        /// Unix microseconds of the last finished step (0 = none yet).
        public var lastStepTimeUS: UInt64
        public var numGPUBlocks: UInt32
        public var numFreeBlocks: UInt32
        /// The engine's own in-flight Generate calls.
        public var numStreams: UInt32
        /// Whether a runner step (Execute call) was in flight when the report was made; false between steps.
        public var stepInFlight: Bool
        /// How long the step in flight had run, microseconds, and the tokens it scheduled.
        public var stepElapsedUS: UInt64
        public var stepNumScheduledTokens: UInt32
        /// The last step that returned from the runners: its Execute time, microseconds, and its tokens (0 = none).
        public var lastStepDurationUS: UInt64
        public var lastStepNumScheduledTokens: UInt32
        /// Microseconds since the engine-core last heard from its runners; nil when it cannot tell.
        public var runnerSilenceUS: UInt64?

        public init(
            engineID: String = "", numRunning: UInt32 = 0, numWaiting: UInt32 = 0, kvCacheUsage: Float = 0,
            prefixCacheQueries: UInt64 = 0, prefixCacheHits: UInt64 = 0, numPreemptions: UInt64 = 0,
            stepCounter: UInt64 = 0, lastStepTimeUS: UInt64 = 0, numGPUBlocks: UInt32 = 0, numFreeBlocks: UInt32 = 0,
            numStreams: UInt32 = 0, stepInFlight: Bool = false, stepElapsedUS: UInt64 = 0,
            stepNumScheduledTokens: UInt32 = 0, lastStepDurationUS: UInt64 = 0, lastStepNumScheduledTokens: UInt32 = 0,
            runnerSilenceUS: UInt64? = nil
        ) {
            self.engineID = engineID
            self.numRunning = numRunning
            self.numWaiting = numWaiting
            self.kvCacheUsage = kvCacheUsage
            self.prefixCacheQueries = prefixCacheQueries
            self.prefixCacheHits = prefixCacheHits
            self.numPreemptions = numPreemptions
            self.stepCounter = stepCounter
            self.lastStepTimeUS = lastStepTimeUS
            self.numGPUBlocks = numGPUBlocks
            self.numFreeBlocks = numFreeBlocks
            self.numStreams = numStreams
            self.stepInFlight = stepInFlight
            self.stepElapsedUS = stepElapsedUS
            self.stepNumScheduledTokens = stepNumScheduledTokens
            self.lastStepDurationUS = lastStepDurationUS
            self.lastStepNumScheduledTokens = lastStepNumScheduledTokens
            self.runnerSilenceUS = runnerSilenceUS
        }
    }
}

extension ApusV1.LoadReport: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__load_report__init)

    func fill(_ c: inout Apus__V1__LoadReport, in arena: CArena) {
        c.engine_id = arena.cString(engineID)
        c.num_running = numRunning
        c.num_waiting = numWaiting
        c.kv_cache_usage = kvCacheUsage
        c.prefix_cache_queries = prefixCacheQueries
        c.prefix_cache_hits = prefixCacheHits
        c.num_preemptions = numPreemptions
        c.step_counter = stepCounter
        c.last_step_time_us = lastStepTimeUS
        c.num_gpu_blocks = numGPUBlocks
        c.num_free_blocks = numFreeBlocks
        c.num_streams = numStreams
        c.step_in_flight = cBool(stepInFlight)
        c.step_elapsed_us = stepElapsedUS
        c.step_num_scheduled_tokens = stepNumScheduledTokens
        c.last_step_duration_us = lastStepDurationUS
        c.last_step_num_scheduled_tokens = lastStepNumScheduledTokens
        c.has_runner_silence_us = cBool(runnerSilenceUS != nil)
        c.runner_silence_us = runnerSilenceUS ?? 0
    }

    init(c: Apus__V1__LoadReport) throws(WireDecodingError) {
        self.init(
            engineID: try CDecode.string(c.engine_id, "LoadReport.engine_id"),
            numRunning: c.num_running, numWaiting: c.num_waiting, kvCacheUsage: c.kv_cache_usage,
            prefixCacheQueries: c.prefix_cache_queries, prefixCacheHits: c.prefix_cache_hits,
            numPreemptions: c.num_preemptions, stepCounter: c.step_counter, lastStepTimeUS: c.last_step_time_us,
            numGPUBlocks: c.num_gpu_blocks, numFreeBlocks: c.num_free_blocks, numStreams: c.num_streams,
            stepInFlight: c.step_in_flight != 0, stepElapsedUS: c.step_elapsed_us,
            stepNumScheduledTokens: c.step_num_scheduled_tokens, lastStepDurationUS: c.last_step_duration_us,
            lastStepNumScheduledTokens: c.last_step_num_scheduled_tokens,
            runnerSilenceUS: c.has_runner_silence_us != 0 ? c.runner_silence_us : nil)
    }
}
