/// Thresholds and timers of the per-engine health state machine (`EngineHealth`). Times in nanoseconds.
///
/// Defaults follow SMG's worker manager and Envoy outlier detection (reference/router-anchors.md §3):
/// 3 failed checks make an engine not-ready, 9 make it failed, 5 consecutive transport errors or timeouts
/// eject it for 30 s × n (capped at 300 s), and an engine whose step counter stands still for 2 s while
/// it has work is hung.
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
    /// How long the step counter may stand still while the engine has work before it counts as hung.
    public var hungAfter: UInt64 = 2_000_000_000

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
