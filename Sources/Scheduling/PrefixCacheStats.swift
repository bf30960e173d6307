/// Prefix-cache lookups recorded at admission since the stats were last taken (docs/scheduling.md §10).
///
/// A request counts once per admission; re-admissions after preemption are tallied apart as `preempted*`.
public struct PrefixCacheStats: Sendable, Hashable {
    /// `resetPrefixCache` succeeded since the last take.
    public var reset = false
    public var requests = 0
    /// Tokens looked up (`numTokens` of each admitted request).
    public var queries = 0
    /// Tokens found in the cache.
    public var hits = 0
    public var preemptedRequests = 0
    public var preemptedQueries = 0
    public var preemptedHits = 0

    public init() {}

    mutating func record(numTokens: Int, numHits: Int, preempted: Bool) {
        if preempted {
            preemptedRequests += 1
            preemptedQueries += numTokens
            preemptedHits += numHits
        } else {
            requests += 1
            queries += numTokens
            hits += numHits
        }
    }
}

/// The logged hit rate: hits / queries over the most recent `maxRecentRequests` requests (vLLM's
/// `CachingMetrics`). A stats batch with `reset` clears the window first; empty batches are not added.
public struct PrefixCacheHitRate: Sendable {
    public let maxRecentRequests: Int
    public private(set) var aggregatedRequests = 0
    public private(set) var aggregatedQueries = 0
    public private(set) var aggregatedHits = 0
    private var window: [(requests: Int, queries: Int, hits: Int)] = []

    public init(maxRecentRequests: Int = 1000) {
        self.maxRecentRequests = maxRecentRequests
    }

    /// Hits over queries in the window; 0 when nothing was queried.
    public var hitRate: Double { aggregatedQueries == 0 ? 0 : Double(aggregatedHits) / Double(aggregatedQueries) }

    public mutating func observe(_ stats: PrefixCacheStats) {
        if stats.reset { reset() }
        guard stats.requests > 0 else { return }
        window.append((stats.requests, stats.queries, stats.hits))
        aggregatedRequests += stats.requests
        aggregatedQueries += stats.queries
        aggregatedHits += stats.hits
        // NOTE: the newest batch always stays, even when it alone exceeds the limit.
        while window.count > 1 && aggregatedRequests > maxRecentRequests {
            let old = window.removeFirst()
            aggregatedRequests -= old.requests
            aggregatedQueries -= old.queries
            aggregatedHits -= old.hits
        }
    }

    public mutating func reset() {
        window.removeAll()
        aggregatedRequests = 0
        aggregatedQueries = 0
        aggregatedHits = 0
    }
}
