/// The health state machine of one engine: pending → ready → not_ready → failed, and draining.
///
/// A value type with no clock of its own: every event comes with `now` (nanoseconds, router clock) and
/// `handle` returns the actions the service must carry out. The state is derived from independent
/// blocking conditions, so one cause clearing never hides another:
/// - unproven (pending until a successful check or a SERVING watch),
/// - `notServing` (Watch or Check said NOT_SERVING; cleared by SERVING),
/// - failing checks (≥ `failureThreshold` in a row; cleared by `successThreshold` successes),
/// - passive ejection (≥ `consecutiveErrorsToEject` transport errors or timeouts, when the caller's
///   `EjectionPermit` allows it; cleared by a SERVING status at or after the ejection's end — "re-admit after
///   backoff" — or by the first SERVING status after a `.restarted` event: a new process did not earn it),
/// - hung (`HungDetector`: reports stopped, the step in flight far past its expected time, or the step counter
///   still between steps, while there is work; ends only with the facts behind it — progress, a step seen
///   executing, idleness — because a hung engine may well answer health checks).
/// Only `ready` is dispatchable. Draining and removed are terminal for dispatch; in-flight work continues.
public struct EngineHealth: Sendable {
    public let config: HealthConfig
    private var proven = false
    private var notServing = false
    private var consecutiveSuccesses = 0
    private var consecutiveFailures = 0
    private var consecutiveErrors = 0
    private(set) public var ejections = 0
    private(set) public var ejectedUntil: UInt64?
    private var hungDetector: HungDetector
    private var draining = false
    private var removed = false
    private var restartedWhileEjected = false

    public init(config: HealthConfig = HealthConfig(), now: UInt64) {
        self.config = config
        self.hungDetector = HungDetector(config: config, now: now)
    }

    private var hung: Bool { hungDetector.isHung }

    /// How long a step of `tokens` scheduled tokens may run on this engine before it counts as hung.
    public func hungStepLimit(tokens: Int) -> UInt64 { hungDetector.stepLimit(tokens: tokens) }

    public var state: HealthState {
        if removed { return .removed }
        if draining { return .draining }
        if consecutiveFailures >= config.failedThreshold { return .failed }
        if !proven { return .pending }
        return blockReason == nil ? .ready : .notReady
    }

    /// Only ready engines take new requests.
    public var isDispatchable: Bool {
        !removed && !draining && proven && consecutiveFailures < config.failureThreshold && blockReason == nil
    }

    /// Why a proven engine is not ready, most specific cause first; nil when nothing blocks it.
    public var blockReason: EjectReason? {
        if removed { return .removed }
        if draining { return .draining }
        if hung { return .hung }
        if ejectedUntil != nil { return .transportErrors }
        if notServing { return .notServing }
        if consecutiveFailures >= config.failureThreshold { return .checksFailed }
        return nil
    }

    /// Whether the engine's passive ejection is still running at `now` (its end not reached yet).
    public func isEjected(at now: UInt64) -> Bool {
        ejectedUntil.map { now < $0 } ?? false
    }

    /// Whether one more transport error or timeout would eject the engine (the caller then asks for a permit).
    public var nextErrorEjects: Bool {
        ejectedUntil == nil && consecutiveErrors + 1 >= config.consecutiveErrorsToEject
    }

    /// Whether panic mode may send requests here: the engine is proven and only its passive ejection blocks
    /// it — never a NOT_SERVING, failing-checks, hung, draining or removed engine.
    public var isPanicEligible: Bool {
        !removed && !draining && proven && !hung && !notServing && consecutiveFailures < config.failureThreshold
            && ejectedUntil != nil
    }

    /// Applies one event at `now` and returns what the caller must do, in order. `permit` decides about a
    /// passive ejection this event calls for (only transport errors and timeouts look at it).
    public mutating func handle(_ event: HealthEvent, now: UInt64, permit: EjectionPermit = .unlimited)
        -> [HealthAction]
    {
        let wasDispatchable = isDispatchable
        let wasFailed = state == .failed
        var actions: [HealthAction] = []
        switch event {
        case .watch(let status): observeStatus(status, now: now)
        case .checkSucceeded: observeStatus(.serving, now: now)
        case .checkFailed, .checkTimedOut: observeCheckFailure()
        case .transportError, .requestTimedOut:
            if let action = observeError(now: now, permit: permit) { actions.append(action) }
        case .requestSucceeded:
            consecutiveErrors = 0
            hungDetector.observeSuccess(now: now)
        case .stepCounterObserved(let counter, let hasWork, let inFlight, let lastStep, let pulling):
            hungDetector.observeReport(
                counter: counter, hasWork: hasWork, inFlight: inFlight, lastStep: lastStep, pulling: pulling, now: now)
        case .timePassed(let routerInFlight): hungDetector.observeRouterWork(routerInFlight, now: now)
        case .drainRequested: draining = true
        case .removed: removed = true
        case .restarted:
            restartedWhileEjected = ejectedUntil != nil
            consecutiveErrors = 0
            hungDetector.restart(now: now)
        }
        return transitions(wasDispatchable: wasDispatchable, wasFailed: wasFailed, extra: actions)
    }

    private func transitions(wasDispatchable: Bool, wasFailed: Bool, extra: [HealthAction]) -> [HealthAction] {
        let nowDispatchable = isDispatchable
        if wasDispatchable == nowDispatchable && extra.isEmpty && (wasFailed || state != .failed) { return [] }
        var actions: [HealthAction] = []
        if wasDispatchable && !nowDispatchable {
            actions.append(.eject(blockReason ?? .checksFailed))
            if !draining && !removed { actions.append(.startProbing) }
        }
        if !wasDispatchable && nowDispatchable { actions.append(.admit) }
        actions += extra
        if !wasFailed && state == .failed { actions.append(.markFailed) }
        return actions
    }

    private mutating func observeStatus(_ status: ServingStatus, now: UInt64) {
        guard status == .serving else {
            notServing = true
            consecutiveSuccesses = 0
            return
        }
        consecutiveFailures = 0
        consecutiveSuccesses += 1
        guard consecutiveSuccesses >= config.successThreshold else { return }
        proven = true
        notServing = false
        if let until = ejectedUntil, now >= until || restartedWhileEjected {
            ejectedUntil = nil
            consecutiveErrors = 0
            restartedWhileEjected = false
        }
    }

    private mutating func observeCheckFailure() {
        consecutiveSuccesses = 0
        consecutiveFailures += 1
    }

    /// Counts a transport error or timeout; returns `.readmitAfter(end)` when this one ejects the engine and
    /// `.ejectionSkipped` when it would have but `permit` refused. The n-th ejection lasts
    /// `min(base × n, max)` plus its jitter (so the cap applies before the jitter).
    private mutating func observeError(now: UInt64, permit: EjectionPermit) -> HealthAction? {
        guard ejectedUntil == nil else { return nil }
        consecutiveErrors += 1
        guard consecutiveErrors >= config.consecutiveErrorsToEject else { return nil }
        consecutiveErrors = 0
        guard permit.allowed else { return .ejectionSkipped }
        ejections += 1
        let length = min(config.baseEjectionTime &* UInt64(ejections), config.maxEjectionTime)
        let fraction = min(max(permit.jitterFraction, 0), 1)
        let jitter = UInt64(Double(length) * config.ejectionJitterPercent / 100 * fraction)
        ejectedUntil = now &+ length &+ jitter
        restartedWhileEjected = false
        return .readmitAfter(now &+ length &+ jitter)
    }
}
