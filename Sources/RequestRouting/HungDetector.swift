/// Tells a hung engine from a slow one, from the engine's load reports and the router's own in-flight count; part
/// of `EngineHealth`. Times are router nanoseconds.
///
/// An engine with work (by its last report or the router's in-flight count) is hung when
/// - its reports stopped for `hungAfter`: a live engine-core reports at least every heartbeat, even in the middle of
///   a step, and a SIGSTOPped one sends nothing;
/// - the runner step in flight has run longer than `stepLimit`: max(`hungAfter`, `hungStepMultiple` × expected),
///   expected being the smoothed time per scheduled token of earlier steps × this step's tokens (before any timed
///   step, `hungStepMultiple` × `hungAfter`). A SIGSTOPped runner leaves its engine-core reporting, but the step
///   never ends;
/// - or no step is in flight and the step counter has stood still for `hungAfter` (stuck between steps).
/// A slow step is not a hang: a 3 s prefill after steps of the same time per token is well inside its limit.
/// An idle engine is never hung, and one that never reported is not judged. The verdict is derived again from these
/// facts at every observation, so it ends when they change: progress, a step seen executing, idleness.
struct HungDetector: Sendable {
    /// Weight of the newest step in the smoothed time per token (an EWMA over roughly the last eight steps).
    static let smoothing = 0.25

    let hungAfter: UInt64
    let stepMultiple: Double
    private(set) var isHung = false
    /// Smoothed nanoseconds per scheduled token of the steps seen; nil before the first timed step.
    private(set) var nanosPerToken: Double?
    private var lastCounter: UInt64?
    /// When the engine last advanced, went idle or was seen executing a step (opens the between-steps window).
    private var lastProgress: UInt64
    /// When the engine was last heard from (a report, a finished request), or work arrived at it while idle.
    private var lastHeard: UInt64
    /// The step in flight at the last report, and when that report came.
    private var inFlight: (step: EngineLoad.StepTime, seenAt: UInt64)?
    private var engineHasWork = false
    private var routerHasWork = false

    init(config: HealthConfig, now: UInt64) {
        self.init(hungAfter: config.hungAfter, stepMultiple: config.hungStepMultiple, now: now)
    }

    private init(hungAfter: UInt64, stepMultiple: Double, now: UInt64) {
        self.hungAfter = hungAfter
        self.stepMultiple = stepMultiple
        lastProgress = now
        lastHeard = now
    }

    /// How long a step of `tokens` scheduled tokens may run before it counts as hung.
    func stepLimit(tokens: Int) -> UInt64 {
        let expected = nanosPerToken.map { $0 * Double(tokens) } ?? Double(hungAfter)
        return max(hungAfter, UInt64(min(stepMultiple * expected, Double(UInt64.max / 2))))
    }

    /// A load report: the step counter, whether the engine has requests, the step in flight (elapsed so far), the
    /// last step that returned, and whether requests wait for KV pulls. A new counter value teaches the last step's
    /// time per token.
    mutating func observeReport(
        counter: UInt64, hasWork: Bool, inFlight step: EngineLoad.StepTime?, lastStep: EngineLoad.StepTime?,
        pulling: Bool = false, now: UInt64
    ) {
        if counter != lastCounter {
            if let lastStep, lastStep.numScheduledTokens > 0 { learn(lastStep) }
            lastCounter = counter
            lastProgress = now
        }
        // NOTE: an idle engine's counter stands still legitimately, a step in flight is judged by its own limit, and
        // an engine waiting only for KV pulls has no step to run (the engine bounds each pull by its own timeout);
        // all three restart the between-steps window.
        if !hasWork || step != nil || pulling { lastProgress = now }
        lastHeard = now
        inFlight = step.map { ($0, now) }
        engineHasWork = hasWork || step != nil
        evaluate(now: now)
    }

    /// Time passed; `routerInFlight` is the router's own in-flight count on the engine.
    mutating func observeRouterWork(_ routerInFlight: Int, now: UInt64) {
        let hasWork = routerInFlight > 0
        if hasWork && !routerHasWork && !engineHasWork {
            // Work just arrived at an idle engine: its windows start now, not at the last idle report.
            lastProgress = max(lastProgress, now)
            lastHeard = max(lastHeard, now)
        }
        routerHasWork = hasWork
        evaluate(now: now)
    }

    /// A request on the engine ended well: it is alive and advancing.
    mutating func observeSuccess(now: UInt64) {
        lastProgress = now
        lastHeard = now
        inFlight = nil
        isHung = false
    }

    /// A new process behind the address: the old one's history says nothing about it.
    mutating func restart(now: UInt64) {
        self = HungDetector(hungAfter: hungAfter, stepMultiple: stepMultiple, now: now)
    }

    private mutating func learn(_ step: EngineLoad.StepTime) {
        let sample = Double(step.duration) / Double(step.numScheduledTokens)
        nanosPerToken = nanosPerToken.map { $0 + Self.smoothing * (sample - $0) } ?? sample
    }

    private mutating func evaluate(now: UInt64) {
        guard lastCounter != nil, engineHasWork || routerHasWork else {
            isHung = false
            return
        }
        if now >= lastHeard && now - lastHeard >= hungAfter {
            isHung = true
        } else if case let (step, seenAt)? = inFlight {
            let elapsed = step.duration &+ (now >= seenAt ? now - seenAt : 0)
            isHung = elapsed > stepLimit(tokens: step.numScheduledTokens)
        } else {
            isHung = now >= lastProgress && now - lastProgress >= hungAfter
        }
    }
}
