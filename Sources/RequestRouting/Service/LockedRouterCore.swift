import Synchronization

/// The service's one `RouterCore` behind a lock, with the router clock (nanoseconds since the service started).
///
/// Every core call is synchronous and takes microseconds, so a plain lock serializes them without an actor hop
/// on the request path.
final class LockedRouterCore: Sendable {
    private let core: Mutex<RouterCore>
    private let start = ContinuousClock.now

    init(_ core: RouterCore) {
        self.core = Mutex(core)
    }

    /// Router clock: nanoseconds since this object was made.
    func now() -> UInt64 {
        start.duration(to: .now).nanoseconds
    }

    /// Runs `body` with exclusive access to the core.
    func withCore<Result: Sendable>(_ body: (inout RouterCore) -> Result) -> Result {
        core.withLock { body(&$0) }
    }

    /// `RouterCore.route` at the current time.
    func route(_ request: RoutingRequest) -> Swift.Result<EngineID, RoutingError> {
        let now = now()
        return core.withLock { core in Swift.Result { () throws(RoutingError) in try core.route(request, now: now) } }
    }

    /// `RouterCore.finish` at the current time.
    func finish(_ request: RoutingRequest, outcome: RequestOutcome) -> FinishResult {
        let now = now()
        return core.withLock { $0.finish(request, outcome: outcome, now: now) }
    }
}
