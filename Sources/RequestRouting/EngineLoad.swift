/// One load report from an engine-core (`Engine.GetLoad` / `WatchLoad`), as the router keeps it.
///
/// `stepCounter` counts scheduler steps since the engine started; with the step in flight and the last step's
/// time it tells a busy engine from a hung one (`HungDetector`). `lastStepTime` is on the engine's clock and is
/// informational: hung detection uses durations and the router's own clock.
public struct EngineLoad: Sendable, Equatable {
    /// How long a runner step ran (so far, for the one in flight), nanoseconds, and the tokens it scheduled.
    public struct StepTime: Sendable, Equatable {
        public var duration: UInt64
        public var numScheduledTokens: Int

        public init(duration: UInt64, numScheduledTokens: Int) {
            self.duration = duration
            self.numScheduledTokens = numScheduledTokens
        }
    }

    /// Requests in the engine's waiting queue (vLLM `num_requests_waiting`).
    public var waiting: Int
    /// Requests the scheduler is running (vLLM `num_requests_running`).
    public var running: Int
    /// Fraction of KV blocks in use, 0…1 (vLLM `kv_cache_usage_perc`).
    public var kvUsage: Double
    /// Prefix-cache hit rate, 0…1.
    public var prefixCacheHitRate: Double
    /// Scheduler steps taken so far.
    public var stepCounter: UInt64
    /// When the last step ended, nanoseconds on the engine's clock.
    public var lastStepTime: UInt64
    /// The runner step in flight when the report was made, timed to then; nil between steps.
    public var stepInFlight: StepTime?
    /// The last step that returned from the runners; nil before the first.
    public var lastStep: StepTime?
    /// Disaggregated decode: requests waiting for their KV pull (an engine with only these runs no step).
    public var waitingForRemoteKVs = 0

    public init(
        waiting: Int = 0, running: Int = 0, kvUsage: Double = 0, prefixCacheHitRate: Double = 0,
        stepCounter: UInt64 = 0, lastStepTime: UInt64 = 0, stepInFlight: StepTime? = nil, lastStep: StepTime? = nil
    ) {
        self.waiting = waiting
        self.running = running
        self.kvUsage = kvUsage
        self.prefixCacheHitRate = prefixCacheHitRate
        self.stepCounter = stepCounter
        self.lastStepTime = lastStepTime
        self.stepInFlight = stepInFlight
        self.lastStep = lastStep
    }

    /// Whether the engine has requests to step (waiting or running).
    public var hasWork: Bool { waiting > 0 || running > 0 }
}
