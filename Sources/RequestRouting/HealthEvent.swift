/// What `Health.Watch` or `Health.Check` said about an engine (grpc.health.v1 statuses).
public enum ServingStatus: Sendable, Equatable {
    case serving
    case notServing
    case unknown
}

/// Something the router learned about one engine; fed to `EngineHealth.handle(_:now:)`.
///
/// Client errors (bad arguments) and client cancellations are deliberately absent: they say nothing about
/// the engine and must never eject it (sglang #25811). A client error may be reported as `requestSucceeded`.
public enum HealthEvent: Sendable, Equatable {
    /// `Health.Watch` pushed a status.
    case watch(ServingStatus)
    /// An active `Health.Check` answered SERVING within its deadline.
    case checkSucceeded
    /// An active check answered NOT_SERVING / SERVICE_UNKNOWN or failed.
    case checkFailed
    /// An active check passed its deadline.
    case checkTimedOut
    /// A request's upstream call failed at the transport (connect refused, reset, closed).
    case transportError
    /// A request's upstream call passed its connect, first-token or idle timeout.
    case requestTimedOut
    /// A request's upstream call ended well.
    case requestSucceeded
    /// A load report carried this step counter; `hasWork` is the engine's own waiting + running > 0; `inFlight`
    /// the runner step in flight (elapsed so far) and `lastStep` the last one that returned, when it reported them;
    /// `pulling`: requests wait for KV pulls (disaggregated decode), which advance without steps.
    case stepCounterObserved(
        UInt64, hasWork: Bool, inFlight: EngineLoad.StepTime? = nil, lastStep: EngineLoad.StepTime? = nil,
        pulling: Bool = false)
    /// Time passed (a periodic tick); `routerInFlight` is the router's own in-flight count on the engine.
    case timePassed(routerInFlight: Int)
    /// Admin `Drain` or a re-resolution that no longer lists the engine: no new requests.
    case drainRequested
    /// The engine left the backend set.
    case removed
    /// The engine's connection came back from a different process (a new hello instance id): an ejection
    /// earned by the old process ends at the next SERVING status, and its error and step history is dropped.
    case restarted
}

/// Why an engine stopped taking new requests.
public enum EjectReason: String, Sendable, Equatable {
    case notServing = "not_serving"
    case checksFailed = "checks_failed"
    case transportErrors = "transport_errors"
    case hung
    case draining
    case removed
}

/// What the caller must do after a health event; `EngineHealth` only decides, the service acts.
public enum HealthAction: Sendable, Equatable {
    /// Probe the engine with `Health.Check` until it is admitted (pending, not ready, failed).
    case startProbing
    /// The engine is dispatchable again.
    case admit
    /// The engine takes no new requests; its in-flight requests continue.
    case eject(EjectReason)
    /// Passive ejection: the first successful check at or after this time re-admits the engine.
    case readmitAfter(UInt64)
    /// The engine crossed the failed threshold; the service may remove it or keep probing slowly.
    case markFailed
    /// The engine's errors called for a passive ejection, but `maxEjectionPercent` of the engines were already
    /// ejected: it stays dispatchable and its error count starts again.
    case ejectionSkipped
}

/// The engine's place in pending → ready → not_ready → failed, plus draining and removed.
public enum HealthState: String, Sendable, Equatable {
    case pending
    case ready
    case notReady = "not_ready"
    case failed
    case draining
    case removed
}

/// What the membership allows when an engine's errors call for a passive ejection (`BackendSet` decides).
public struct EjectionPermit: Sendable, Equatable {
    /// False when `maxEjectionPercent` of the engines are already ejected: the ejection is skipped.
    public var allowed: Bool
    /// Where in [0, 1) the ejection's jitter falls: it lasts `length × ejectionJitterPercent% × fraction` longer.
    public var jitterFraction: Double

    public init(allowed: Bool = true, jitterFraction: Double = 0) {
        self.allowed = allowed
        self.jitterFraction = jitterFraction
    }

    /// Always allowed, no jitter (a lone machine, and tests of one engine).
    public static let unlimited = EjectionPermit()
}
