import RequestRouting
import Testing

/// Hung detection against the expected time of the step in flight (issue 9: a slow step is not a hung engine).
@Suite("EngineHealth judges a step in flight by its expected time")
struct EngineHealthStepTimeTests {
    static let second: UInt64 = 1_000_000_000
    static let millisecond: UInt64 = 1_000_000

    static func step(_ duration: UInt64, tokens: Int) -> EngineLoad.StepTime {
        EngineLoad.StepTime(duration: duration, numScheduledTokens: tokens)
    }

    /// A ready engine (default config: floor 2 s, multiple 3) that finished steps 1...8 of 100 tokens in 250 ms
    /// each (2.5 ms per token), one report per step; the last report comes at `t`, 2 s.
    static func withHistory() -> (health: EngineHealth, t: UInt64) {
        var health = EngineHealthTests.ready()
        for counter in 1...8 {
            let now = UInt64(counter) * 250 * millisecond
            _ = health.handle(
                .stepCounterObserved(
                    UInt64(counter), hasWork: true, lastStep: step(250 * millisecond, tokens: 100)), now: now)
        }
        return (health, 2 * second)
    }

    /// Reports every 500 ms from `start` while a step of `tokens` runs, with router ticks every 50 ms in between,
    /// up to `until` elapsed; returns every action seen.
    static func run(
        _ health: inout EngineHealth, tokens: Int, from start: UInt64, until: UInt64, counter: UInt64 = 8,
        lastStep: EngineLoad.StepTime? = step(250 * millisecond, tokens: 100)
    ) -> [HealthAction] {
        var actions: [HealthAction] = []
        var elapsed: UInt64 = 0
        while elapsed <= until {
            let now = start + elapsed
            if elapsed % (500 * millisecond) == 0 {
                actions += health.handle(
                    .stepCounterObserved(
                        counter, hasWork: true, inFlight: step(elapsed, tokens: tokens), lastStep: lastStep),
                    now: now)
            }
            actions += health.handle(.timePassed(routerInFlight: 4), now: now)
            elapsed += 50 * millisecond
        }
        return actions
    }

    @Test("a 5 s step after steps of the same time per token is not hung while reports keep coming")
    func slowStepIsNotHung() {
        var (health, t) = Self.withHistory()
        #expect(health.hungStepLimit(tokens: 2_000) == 15 * Self.second, "3 × 2.5 ms × 2000 tokens")
        #expect(Self.run(&health, tokens: 2_000, from: t, until: 5 * Self.second) == [])
        #expect(health.isDispatchable)
        let done = t + 5 * Self.second + 10 * Self.millisecond
        #expect(
            health.handle(
                .stepCounterObserved(9, hasWork: true, lastStep: Self.step(5 * Self.second, tokens: 2_000)), now: done)
                == [])
        #expect(health.isDispatchable)
    }

    @Test("a step running past hungStepMultiple × its expected time is hung; its end re-admits")
    func stepFarPastItsTimeIsHung() {
        var (health, t) = Self.withHistory()
        #expect(Self.run(&health, tokens: 2_000, from: t, until: 15 * Self.second) == [])
        #expect(
            health.handle(.timePassed(routerInFlight: 4), now: t + 15 * Self.second + 1)
                == [.eject(.hung), .startProbing])
        #expect(health.blockReason == .hung)
        #expect(health.handle(.checkSucceeded, now: t + 16 * Self.second) == [], "a hung engine may answer checks")
        #expect(
            health.handle(
                .stepCounterObserved(9, hasWork: true, lastStep: Self.step(16 * Self.second, tokens: 2_000)),
                now: t + 16 * Self.second) == [.admit])
    }

    @Test("a short step that never ends is hung at the floor (a SIGSTOPped runner: reports go on, the step does not)")
    func shortStepHungAtFloor() {
        var (health, t) = Self.withHistory()
        #expect(health.hungStepLimit(tokens: 100) == 2 * Self.second, "3 × 250 ms is under the 2 s floor")
        let actions = Self.run(&health, tokens: 100, from: t, until: 3 * Self.second)
        #expect(actions == [.eject(.hung), .startProbing])
        #expect(health.blockReason == .hung)
    }

    @Test("an engine whose reports stop is hung after the floor, however long its step may take")
    func staleReporterIsHung() {
        var (health, t) = Self.withHistory()
        _ = health.handle(
            .stepCounterObserved(8, hasWork: true, inFlight: Self.step(0, tokens: 2_000)), now: t)
        #expect(health.handle(.timePassed(routerInFlight: 4), now: t + 2 * Self.second - 1) == [])
        #expect(
            health.handle(.timePassed(routerInFlight: 4), now: t + 2 * Self.second) == [.eject(.hung), .startProbing])
        #expect(
            health.handle(
                .stepCounterObserved(8, hasWork: true, inFlight: Self.step(0, tokens: 5)), now: t + 3 * Self.second)
                == [.admit], "a fresh report of a step just started ends a verdict of silence")
    }

    @Test("before any timed step, a step may run hungStepMultiple × the floor")
    func coldStepLimit() {
        var health = EngineHealthTests.ready()
        #expect(health.hungStepLimit(tokens: 2_048) == 6 * Self.second)
        let actions = Self.run(&health, tokens: 2_048, from: 0, until: 6 * Self.second, counter: 0, lastStep: nil)
        #expect(actions == [], "a 3 s first prefill (issue 9) is far inside")
        #expect(
            health.handle(.timePassed(routerInFlight: 1), now: 6 * Self.second + 1) == [.eject(.hung), .startProbing])
    }

    @Test("an idle engine is never hung, whatever its reports say about time")
    func idleNeverHung() {
        var (health, t) = Self.withHistory()
        _ = health.handle(.stepCounterObserved(8, hasWork: false), now: t)
        #expect(health.handle(.timePassed(routerInFlight: 0), now: t + 60 * Self.second) == [])
        #expect(health.isDispatchable)
    }

    @Test("a restarted engine's time per token is forgotten")
    func restartForgetsHistory() {
        var (health, t) = Self.withHistory()
        #expect(health.hungStepLimit(tokens: 4_000) == 30 * Self.second)
        _ = health.handle(.restarted, now: t)
        #expect(health.hungStepLimit(tokens: 4_000) == 6 * Self.second)
    }

    @Test("a step multiple below 1 is rejected")
    func validation() {
        var config = HealthConfig()
        for multiple in [0.5, 0, -1, Double.nan, .infinity] {
            config.hungStepMultiple = multiple
            #expect(throws: RouterConfigError.self) { try config.validate() }
        }
        config.hungStepMultiple = 1
        #expect(throws: Never.self) { try config.validate() }
    }
}
