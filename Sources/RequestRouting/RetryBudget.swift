/// Envoy's retry budget (docs/architecture.md §8.5): retries may be in flight only up to a share of the
/// requests in flight, so a storm of failures cannot double the load on the engines that are left.
///
/// It limits retries after timeouts and UNAVAILABLE answers (a live engine that may be overloaded); a request
/// whose engine connection was lost moves without asking it (`RouterCore.finish`), but still counts as a retry in
/// flight for the others.
///
/// A retry is allowed when, counting it, the requests currently on a retry attempt are at most
/// `max(minRetryConcurrency, retryBudgetPercent% of the requests in flight)` (the retrying request included
/// in both; the share is not rounded). A request already on a retry that moves again adds no concurrency,
/// so it only has to fit the current limit. Both zero disables retries altogether.
public struct RetryBudget: Sendable, Equatable {
    /// Percentage of the requests in flight that may be retries at once (Envoy `budget_percent`, 20%).
    public var retryBudgetPercent: Double = 20
    /// Retries always allowed at once, however few requests are in flight (Envoy `min_retry_concurrency`, 3).
    public var minRetryConcurrency: Int = 3

    public init(retryBudgetPercent: Double = 20, minRetryConcurrency: Int = 3) {
        self.retryBudgetPercent = retryBudgetPercent
        self.minRetryConcurrency = minRetryConcurrency
    }

    /// The most retries that may be in flight while `requestsInFlight` requests are.
    public func limit(requestsInFlight: Int) -> Double {
        max(Double(minRetryConcurrency), Double(requestsInFlight) * retryBudgetPercent / 100)
    }

    /// Whether one more retry fits: `retriesInFlight` counts it already (see the type's contract).
    public func allows(retriesInFlight: Int, requestsInFlight: Int) -> Bool {
        Double(retriesInFlight) <= limit(requestsInFlight: requestsInFlight)
    }

    /// Throws when the percentage is outside 0...100 or the minimum is negative.
    public func validate() throws(RouterConfigError) {
        guard (0...100).contains(retryBudgetPercent) else {
            throw .invalid("retryBudgetPercent must be in 0...100, got \(retryBudgetPercent)")
        }
        guard minRetryConcurrency >= 0 else {
            throw .invalid("minRetryConcurrency must be >= 0, got \(minRetryConcurrency)")
        }
    }
}
