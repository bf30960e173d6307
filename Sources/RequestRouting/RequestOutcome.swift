/// How one upstream `Engine.Generate` call ended, as the service reports it to `RouterCore.finish`.
public enum RequestOutcome: Sendable, Equatable {
    /// The stream ended normally (any finish reason).
    case completed
    /// The engine rejected the request itself (INVALID_ARGUMENT, …): final, and proof the engine works.
    case clientError
    /// The client went away or the api aborted: final, never held against the engine.
    case cancelled
    /// Connect refused, reset or closed: retryable, counts toward passive ejection.
    case transportError
    /// Connect, first-token or idle timeout: retryable, counts toward passive ejection.
    case timedOut
    /// The engine answered UNAVAILABLE (draining, overloaded): retryable, not held against it.
    case unavailable
    /// The engine failed the request after accepting it (INTERNAL): final.
    case engineError

    var isRetryable: Bool { self == .transportError || self == .timedOut || self == .unavailable }

    var healthEvent: HealthEvent? {
        switch self {
        case .completed, .clientError: .requestSucceeded
        case .transportError: .transportError
        case .timedOut: .requestTimedOut
        case .cancelled, .unavailable, .engineError: nil
        }
    }
}

/// Why `RouterCore.route` could not place a request.
public enum RoutingError: Error, Equatable, CustomStringConvertible {
    /// No engine is ready (all pending, not ready, failed or draining, or none configured), and none is only
    /// passively ejected (panic mode would use those).
    case noEngineAvailable
    /// A request with this id is still in flight.
    case duplicateRequestID(String)

    public var description: String {
        switch self {
        case .noEngineAvailable: "no engine is ready to take the request"
        case .duplicateRequestID(let id): "request id \(id) is already in flight"
        }
    }
}

/// What the service does after `RouterCore.finish`.
public enum FinishDecision: Sendable, Equatable {
    /// Nothing more: the request is over and accounted for.
    case done
    /// Send the request again to `engine`; abort it first on `previous` (which may still be running it).
    case retry(on: EngineID, previous: EngineID?)
    /// Report the error to the client: output was already streamed, attempts ran out, or no engine is left.
    case fail
}

/// A health action for one engine.
public struct EngineHealthAction: Sendable, Equatable {
    public var engine: EngineID
    public var action: HealthAction

    public init(engine: EngineID, action: HealthAction) {
        self.engine = engine
        self.action = action
    }
}

/// The result of `RouterCore.finish`: the decision and the health actions the outcome caused.
public struct FinishResult: Sendable, Equatable {
    public var decision: FinishDecision
    public var health: [EngineHealthAction]
    /// The request could have been retried, but the retry budget refused it (the decision is `.fail`).
    public var retryBudgetExhausted: Bool

    public init(decision: FinishDecision, health: [EngineHealthAction] = [], retryBudgetExhausted: Bool = false) {
        self.decision = decision
        self.health = health
        self.retryBudgetExhausted = retryBudgetExhausted
    }
}

/// The result of `RouterCore.tick`.
public struct TickResult: Sendable, Equatable {
    /// Health transitions caused by time (hung engines).
    public var health: [EngineHealthAction] = []
    /// Draining engines with nothing left in flight: remove them now.
    public var drained: [EngineID] = []
}
