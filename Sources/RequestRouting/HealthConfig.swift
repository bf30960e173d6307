/// Thresholds and timers of the per-engine health state machine (`EngineHealth`). Times in nanoseconds.
///
/// Defaults follow SMG's worker manager and Envoy outlier detection (docs/architecture.md §8.5):
/// 3 failed checks make an engine not-ready, 9 make it failed, 5 consecutive transport errors or timeouts
/// eject it for 30 s × n (capped at 300 s) plus up to 10% jitter, at most 50% of the engines are passively
/// ejected at once (but always at least one). An engine with work is hung when its load reports stop for 2 s,
/// when its step counter stands still for 2 s with no step in flight, or when the step in flight runs past
/// max(2 s, 3 × what its tokens took per token in recent steps) — a slow step is not a hung engine (issue 9).
public struct HealthConfig: Sendable, Equatable {
    /// Consecutive successful checks that prove a pending engine (or clear failing checks).
    public var successThreshold: Int = 1
    /// Consecutive failed or timed-out checks that make a ready engine not-ready.
    public var failureThreshold: Int = 3
    /// Consecutive failed or timed-out checks that make an engine failed.
    public var failedThreshold: Int = 9
    /// Consecutive transport errors or request timeouts that eject an engine (passive health).
    public var consecutiveErrorsToEject: Int = 5
    /// First ejection length; the n-th ejection lasts n times this, capped by `maxEjectionTime`.
    public var baseEjectionTime: UInt64 = 30_000_000_000
    public var maxEjectionTime: UInt64 = 300_000_000_000
    /// At most this percentage of the members (draining ones not counted) may be passively ejected at once;
    /// an ejection beyond it is skipped. One engine may always be ejected (Envoy's `max_ejection_percent`).
    public var maxEjectionPercent: Double = 50
    /// Each ejection lasts up to this percentage of its length longer (uniformly drawn from the core's seeded
    /// generator), so engines ejected together do not all come back in the same instant.
    public var ejectionJitterPercent: Double = 10
    /// The floor of hung detection: how long an engine with work may go without a load report, or with its step
    /// counter standing still and no step in flight, and the least a step in flight is allowed (`HungDetector`).
    public var hungAfter: UInt64 = 2_000_000_000
    /// A step in flight is hung once it has run max(`hungAfter`, this × its expected time), the expected time being
    /// the recent time per scheduled token (EWMA) × its tokens; before any timed step, this × `hungAfter`.
    public var hungStepMultiple: Double = 3

    public init() {}

    /// Throws when a threshold is below 1 or the failed threshold is below the failure threshold.
    public func validate() throws(RouterConfigError) {
        guard successThreshold >= 1, failureThreshold >= 1, consecutiveErrorsToEject >= 1 else {
            throw .invalid("health thresholds must be at least 1")
        }
        guard failedThreshold >= failureThreshold else {
            throw .invalid("failedThreshold (\(failedThreshold)) must be >= failureThreshold (\(failureThreshold))")
        }
        guard hungAfter > 0, baseEjectionTime > 0, maxEjectionTime >= baseEjectionTime else {
            throw .invalid("hungAfter and ejection times must be positive, maxEjectionTime >= baseEjectionTime")
        }
        guard hungStepMultiple >= 1, hungStepMultiple.isFinite else {
            throw .invalid("hungStepMultiple must be a finite number >= 1, got \(hungStepMultiple)")
        }
        guard (0...100).contains(maxEjectionPercent) else {
            throw .invalid("maxEjectionPercent must be in 0...100, got \(maxEjectionPercent)")
        }
        guard (0...100).contains(ejectionJitterPercent) else {
            throw .invalid("ejectionJitterPercent must be in 0...100, got \(ejectionJitterPercent)")
        }
    }
}

/// A router configuration value out of range; the message says what was wrong and what is allowed.
public enum RouterConfigError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
