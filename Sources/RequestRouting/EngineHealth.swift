/// The health state machine of one engine: pending → ready → not_ready → failed, and draining.
///
/// A value type with no clock of its own: every event comes with `now` (nanoseconds, router clock) and
/// `handle` returns the actions the service must carry out. The state is derived from independent
/// blocking conditions, so one cause clearing never hides another:
/// - unproven (pending until a successful check or a SERVING watch),
/// - `notServing` (Watch or Check said NOT_SERVING; cleared by SERVING),
/// - failing checks (≥ `failureThreshold` in a row; cleared by `successThreshold` successes),
/// - passive ejection (≥ `consecutiveErrorsToEject` transport errors or timeouts; cleared by a successful
///   check at or after the ejection's end — "re-admit after backoff"),
/// - hung (step counter still for `hungAfter` while there is work; cleared only by progress or idleness,
///   because a hung engine may well answer health checks).
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
    private var hung = false
    private var draining = false
    private var removed = false
    private var lastStepCounter: UInt64?
    private var lastProgress: UInt64
    private var engineHasWork = false
    private var routerHadWork = false

    public init(config: HealthConfig = HealthConfig(), now: UInt64) {
        self.config = config
        self.lastProgress = now
    }

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

    /// Applies one event at `now` and returns what the caller must do, in order.
    public mutating func handle(_ event: HealthEvent, now: UInt64) -> [HealthAction] {
        let wasDispatchable = isDispatchable
        let wasFailed = state == .failed
        var actions: [HealthAction] = []
        switch event {
        case .watch(let status): observeStatus(status, now: now)
        case .checkSucceeded: observeStatus(.serving, now: now)
        case .checkFailed, .checkTimedOut: observeCheckFailure()
        case .transportError, .requestTimedOut:
            if let until = observeError(now: now) { actions.append(.readmitAfter(until)) }
        case .requestSucceeded:
            consecutiveErrors = 0
            hung = false
            lastProgress = now
        case .stepCounterObserved(let counter, let hasWork): observeStep(counter, hasWork: hasWork, now: now)
        case .timePassed(let routerInFlight): observeTime(routerInFlight: routerInFlight, now: now)
        case .drainRequested: draining = true
        case .removed: removed = true
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
        if let until = ejectedUntil, now >= until {
            ejectedUntil = nil
            consecutiveErrors = 0
        }
    }

    private mutating func observeCheckFailure() {
        consecutiveSuccesses = 0
        consecutiveFailures += 1
    }

    /// Counts a transport error or timeout; returns the ejection's end when this one ejects the engine.
    private mutating func observeError(now: UInt64) -> UInt64? {
        guard ejectedUntil == nil else { return nil }
        consecutiveErrors += 1
        guard consecutiveErrors >= config.consecutiveErrorsToEject else { return nil }
        consecutiveErrors = 0
        ejections += 1
        let length = min(config.baseEjectionTime &* UInt64(ejections), config.maxEjectionTime)
        ejectedUntil = now &+ length
        return ejectedUntil
    }

    private mutating func observeStep(_ counter: UInt64, hasWork: Bool, now: UInt64) {
        if counter != lastStepCounter || !hasWork {
            // NOTE: an idle engine's counter stands still legitimately, so idleness also restarts the window.
            lastStepCounter = counter
            lastProgress = now
            hung = false
        }
        engineHasWork = hasWork
        checkHung(hasWork: hasWork, now: now)
    }

    private mutating func observeTime(routerInFlight: Int, now: UInt64) {
        let routerHasWork = routerInFlight > 0
        if routerHasWork && !routerHadWork && !engineHasWork {
            // Work just arrived at an idle engine: its window starts now, not at the last idle report.
            lastProgress = max(lastProgress, now)
        }
        routerHadWork = routerHasWork
        checkHung(hasWork: engineHasWork || routerHasWork, now: now)
    }

    private mutating func checkHung(hasWork: Bool, now: UInt64) {
        // Without any load report the engine cannot prove progress; never call it hung on silence alone.
        guard lastStepCounter != nil, hasWork, now >= lastProgress else { return }
        if now - lastProgress >= config.hungAfter { hung = true }
    }
}
