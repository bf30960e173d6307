/// One load report from an engine-core (`Engine.GetLoad` / `WatchLoad`), as the router keeps it.
///
/// `stepCounter` counts scheduler steps since the engine started; the router watches it advance to
/// tell a busy engine from a hung one. `lastStepTime` is on the engine's clock and is informational:
/// hung detection uses the router's own clock (the time a counter change was observed).
public struct EngineLoad: Sendable, Equatable {
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

    public init(
        waiting: Int = 0, running: Int = 0, kvUsage: Double = 0, prefixCacheHitRate: Double = 0,
        stepCounter: UInt64 = 0, lastStepTime: UInt64 = 0
    ) {
        self.waiting = waiting
        self.running = running
        self.kvUsage = kvUsage
        self.prefixCacheHitRate = prefixCacheHitRate
        self.stepCounter = stepCounter
        self.lastStepTime = lastStepTime
    }

    /// Whether the engine has requests to step (waiting or running).
    public var hasWork: Bool { waiting > 0 || running > 0 }
}
