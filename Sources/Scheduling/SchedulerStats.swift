/// A snapshot for load reports and metrics (cumulative counters; docs/architecture.md §7.1).
public struct SchedulerStats: Sendable, Hashable {
    public var numRunningReqs: Int
    public var numWaitingReqs: Int
    /// Fraction of usable KV blocks in use (0…1).
    public var kvCacheUsage: Double
    /// Prompt tokens looked up in the prefix cache at first admissions, since start.
    public var prefixCacheQueries: Int
    /// Of those, tokens found in the cache.
    public var prefixCacheHits: Int
    /// Preemptions since start.
    public var numPreemptions: Int
    /// `schedule()` calls since start.
    public var numSteps: Int

    public init(
        numRunningReqs: Int, numWaitingReqs: Int, kvCacheUsage: Double, prefixCacheQueries: Int, prefixCacheHits: Int,
        numPreemptions: Int, numSteps: Int
    ) {
        self.numRunningReqs = numRunningReqs
        self.numWaitingReqs = numWaitingReqs
        self.kvCacheUsage = kvCacheUsage
        self.prefixCacheQueries = prefixCacheQueries
        self.prefixCacheHits = prefixCacheHits
        self.numPreemptions = numPreemptions
        self.numSteps = numSteps
    }
}
