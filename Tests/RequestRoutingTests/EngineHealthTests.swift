import RequestRouting
import Testing

@Suite("EngineHealth state machine")
struct EngineHealthTests {
    static let second: UInt64 = 1_000_000_000

    /// A health machine that a SERVING watch made ready at t = 0.
    static func ready(_ configure: (inout HealthConfig) -> Void = { _ in }) -> EngineHealth {
        var config = HealthConfig()
        configure(&config)
        var health = EngineHealth(config: config, now: 0)
        #expect(health.handle(.watch(.serving), now: 0) == [.admit])
        return health
    }

    @Test("a new engine is pending and not dispatchable until a check succeeds")
    func pendingUntilProven() {
        var health = EngineHealth(now: 0)
        #expect(health.state == .pending)
        #expect(!health.isDispatchable)
        #expect(health.handle(.checkSucceeded, now: 1) == [.admit])
        #expect(health.state == .ready)
    }

    @Test("NOT_SERVING from the watch ejects at once; SERVING re-admits")
    func watchFlipsDispatch() {
        var health = Self.ready()
        #expect(health.handle(.watch(.notServing), now: 5) == [.eject(.notServing), .startProbing])
        #expect(health.state == .notReady)
        #expect(health.handle(.watch(.serving), now: 6) == [.admit])
    }

    @Test("three failed checks make it not ready, nine make it failed, one success re-admits")
    func checkFailures() {
        var health = Self.ready()
        #expect(health.handle(.checkFailed, now: 1) == [])
        #expect(health.handle(.checkTimedOut, now: 2) == [])
        #expect(health.handle(.checkFailed, now: 3) == [.eject(.checksFailed), .startProbing])
        for time in 4...8 { #expect(health.handle(.checkFailed, now: UInt64(time)) == []) }
        #expect(health.handle(.checkFailed, now: 9) == [.markFailed])
        #expect(health.state == .failed)
        #expect(health.handle(.checkSucceeded, now: 10) == [.admit])
    }

    @Test("five consecutive transport errors or timeouts eject for 30 s times the ejection count")
    func passiveEjection() {
        var health = Self.ready()
        for time in 1...4 { #expect(health.handle(.transportError, now: UInt64(time)) == []) }
        let until = 5 + 30 * Self.second
        #expect(
            health.handle(.requestTimedOut, now: 5) == [.eject(.transportErrors), .startProbing, .readmitAfter(until)])
        #expect(health.handle(.checkSucceeded, now: until - 1) == [])
        #expect(!health.isDispatchable)
        #expect(health.handle(.checkSucceeded, now: until) == [.admit])
        for time in 1...5 { _ = health.handle(.transportError, now: until + UInt64(time)) }
        #expect(health.ejectedUntil == until + 5 + 60 * Self.second)
        #expect(health.ejections == 2)
    }

    @Test("a success between errors resets the count, so scattered errors never eject")
    func successResetsErrors() {
        var health = Self.ready()
        for round in 0..<10 {
            for step in 0..<4 { #expect(health.handle(.transportError, now: UInt64(round * 10 + step)) == []) }
            #expect(health.handle(.requestSucceeded, now: UInt64(round * 10 + 5)) == [])
        }
        #expect(health.isDispatchable)
    }

    @Test("a step counter frozen while the engine has work marks it hung after the window, progress re-admits")
    func hungEngine() {
        var health = Self.ready()
        #expect(health.handle(.stepCounterObserved(10, hasWork: true), now: 0) == [])
        #expect(health.handle(.stepCounterObserved(10, hasWork: true), now: 2 * Self.second - 1) == [])
        #expect(health.handle(.timePassed(routerInFlight: 3), now: 2 * Self.second) == [.eject(.hung), .startProbing])
        #expect(health.blockReason == .hung)
        #expect(health.handle(.checkSucceeded, now: 2 * Self.second + 1) == [], "a hung engine may still answer checks")
        #expect(health.handle(.stepCounterObserved(11, hasWork: true), now: 3 * Self.second) == [.admit])
    }

    @Test("an engine whose requests only wait for KV pulls runs no step and is not hung; when reports stop, it is")
    func pullingIsNotHung() {
        var health = Self.ready()
        _ = health.handle(.stepCounterObserved(10, hasWork: true, pulling: true), now: 0)
        for t in 1...8 {
            #expect(health.handle(.stepCounterObserved(10, hasWork: true, pulling: true), now: UInt64(t) * Self.second / 2) == [])
            #expect(health.handle(.timePassed(routerInFlight: 2), now: UInt64(t) * Self.second / 2) == [])
        }
        #expect(health.isDispatchable)
        // The pulls landed but no step ran for the window: stuck between steps.
        _ = health.handle(.stepCounterObserved(10, hasWork: true), now: 4 * Self.second)
        #expect(health.handle(.timePassed(routerInFlight: 2), now: 6 * Self.second) == [.eject(.hung), .startProbing])
    }

    @Test("an idle engine whose counter stands still is not hung")
    func idleIsNotHung() {
        var health = Self.ready()
        _ = health.handle(.stepCounterObserved(10, hasWork: false), now: 0)
        #expect(health.handle(.timePassed(routerInFlight: 0), now: 10 * Self.second) == [])
        #expect(health.handle(.stepCounterObserved(10, hasWork: false), now: 20 * Self.second) == [])
        #expect(health.isDispatchable)
    }

    @Test("work arriving at an idle engine starts the hung window then, not at the last idle report")
    func windowStartsWithWork() {
        var health = Self.ready()
        _ = health.handle(.stepCounterObserved(10, hasWork: false), now: 0)
        #expect(health.handle(.timePassed(routerInFlight: 1), now: 5 * Self.second) == [])
        #expect(health.handle(.timePassed(routerInFlight: 1), now: 7 * Self.second - 1) == [])
        #expect(health.handle(.timePassed(routerInFlight: 1), now: 7 * Self.second) == [.eject(.hung), .startProbing])
    }

    @Test("without any load report an engine is never called hung")
    func silenceIsNotHung() {
        var health = Self.ready()
        #expect(health.handle(.timePassed(routerInFlight: 5), now: 100 * Self.second) == [])
    }

    @Test("draining stops dispatch for good; removal is terminal")
    func drainAndRemove() {
        var health = Self.ready()
        #expect(health.handle(.drainRequested, now: 1) == [.eject(.draining)])
        #expect(health.state == .draining)
        #expect(health.handle(.checkSucceeded, now: 2) == [])
        #expect(!health.isDispatchable)
        #expect(health.handle(.removed, now: 3) == [])
        #expect(health.state == .removed)
    }

    @Test("an ejection lasts up to ejectionJitterPercent of its length longer, by the permit's fraction")
    func ejectionJitter() {
        var health = Self.ready()
        let permit = EjectionPermit(allowed: true, jitterFraction: 0.5)
        for time in 1...4 { _ = health.handle(.transportError, now: UInt64(time), permit: permit) }
        let until = 5 + 30 * Self.second + 1_500_000_000
        #expect(
            health.handle(.transportError, now: 5, permit: permit)
                == [.eject(.transportErrors), .startProbing, .readmitAfter(until)])
        #expect(health.ejectedUntil == until)
    }

    @Test("a refused permit skips the ejection: the engine stays ready and its error count starts again")
    func skippedEjection() {
        var health = Self.ready()
        let refused = EjectionPermit(allowed: false)
        for time in 1...4 { #expect(health.handle(.transportError, now: UInt64(time), permit: refused) == []) }
        #expect(health.nextErrorEjects)
        #expect(health.handle(.transportError, now: 5, permit: refused) == [.ejectionSkipped])
        #expect(health.isDispatchable && health.ejections == 0)
        for time in 6...9 { #expect(health.handle(.requestTimedOut, now: UInt64(time)) == []) }
        #expect(health.nextErrorEjects)
        #expect(health.handle(.requestTimedOut, now: 10).first == .eject(.transportErrors))
    }

    @Test("an engine restarted while ejected is re-admitted by its next SERVING status, not the ejection's end")
    func restartEndsEjection() {
        var health = Self.ready()
        for time in 1...5 { _ = health.handle(.transportError, now: UInt64(time)) }
        #expect(health.handle(.watch(.serving), now: 6) == [], "the same process stays ejected")
        #expect(health.handle(.restarted, now: 7) == [])
        #expect(!health.isDispatchable, "a restart alone proves nothing")
        #expect(health.handle(.watch(.serving), now: 8) == [.admit])
        #expect(health.ejectedUntil == nil)
        for time in 9...13 { _ = health.handle(.transportError, now: UInt64(time)) }
        #expect(health.ejectedUntil == 13 + 60 * Self.second, "ejections still escalate across restarts")
    }

    @Test("a restart of an engine that is not ejected changes nothing about its dispatch")
    func restartWhenReady() {
        var health = Self.ready()
        for time in 1...4 { _ = health.handle(.transportError, now: UInt64(time)) }
        #expect(health.handle(.restarted, now: 5) == [])
        #expect(health.isDispatchable)
        #expect(health.handle(.transportError, now: 6) == [], "the old process's errors were forgotten")
    }

    @Test("panic mode may use an engine only its passive ejection blocks")
    func panicEligibility() {
        var health = Self.ready()
        #expect(!health.isPanicEligible, "a ready engine needs no panic")
        for time in 1...5 { _ = health.handle(.transportError, now: UInt64(time)) }
        #expect(health.isPanicEligible)
        _ = health.handle(.watch(.notServing), now: 6)
        #expect(!health.isPanicEligible, "never a NOT_SERVING engine")
        _ = health.handle(.watch(.serving), now: 7)
        #expect(health.isPanicEligible)
        for time in 8...10 { _ = health.handle(.checkFailed, now: UInt64(time)) }
        #expect(!health.isPanicEligible, "never an engine failing its checks")
        var hung = Self.ready()
        for time in 1...5 { _ = hung.handle(.transportError, now: UInt64(time)) }
        _ = hung.handle(.stepCounterObserved(1, hasWork: true), now: 6)
        _ = hung.handle(.timePassed(routerInFlight: 1), now: 6 + 2 * Self.second)
        #expect(!hung.isPanicEligible, "never a hung engine")
        _ = hung.handle(.stepCounterObserved(2, hasWork: true), now: 7 + 2 * Self.second)
        #expect(hung.isPanicEligible)
        _ = hung.handle(.drainRequested, now: 8 + 2 * Self.second)
        #expect(!hung.isPanicEligible, "never a draining engine")
        #expect(!EngineHealth(now: 0).isPanicEligible, "never a pending engine")
    }

    @Test("invalid thresholds are rejected with a message")
    func validation() {
        var config = HealthConfig()
        config.failedThreshold = 1
        #expect(throws: RouterConfigError.self) { try config.validate() }
        for percent in [-1, 101, Double.nan] {
            config = HealthConfig()
            config.maxEjectionPercent = percent
            #expect(throws: RouterConfigError.self) { try config.validate() }
            config = HealthConfig()
            config.ejectionJitterPercent = percent
            #expect(throws: RouterConfigError.self) { try config.validate() }
        }
    }
}
