import Testing
import Wire

@testable import RequestRouting

@Suite("AttemptControl timeouts and kills")
struct AttemptControlTests {
    static func sleeper() -> Task<AttemptResult, Never> {
        Task {
            try? await Task.sleep(for: .seconds(30))
            return .clientGone
        }
    }

    @Test("a tick whose clock reading predates the attempt's start never times it out")
    func noWrapAround() {
        let control = AttemptControl(requestID: "r", engine: "e0", now: 0)
        let task = Self.sleeper()
        control.begin(on: "e0", task: task, now: 1_000)
        control.enforceTimeouts(now: 999, firstOutput: 100, idle: 100)
        #expect(control.killed == nil)
        #expect(control.touch(now: 1_050))
        control.enforceTimeouts(now: 1_049, firstOutput: 100, idle: 100)
        #expect(control.killed == nil)
        task.cancel()
    }

    @Test("first-output and idle timeouts kill the attempt with a timed-out outcome and cancel its task")
    func timeoutsKill() async {
        let control = AttemptControl(requestID: "r", engine: "e0", now: 0)
        let first = Self.sleeper()
        control.begin(on: "e0", task: first, now: 0)
        control.enforceTimeouts(now: 99, firstOutput: 100, idle: 50)
        #expect(control.killed == nil)
        control.enforceTimeouts(now: 100, firstOutput: 100, idle: 50)
        #expect(control.killed?.outcome == .timedOut)
        #expect(first.isCancelled)

        let second = Self.sleeper()
        control.begin(on: "e1", task: second, now: 200)
        #expect(control.killed == nil, "a new attempt forgets the last kill")
        _ = control.touch(now: 210)
        control.enforceTimeouts(now: 259, firstOutput: 100, idle: 50)
        #expect(control.killed == nil)
        control.enforceTimeouts(now: 260, firstOutput: 100, idle: 50)
        #expect(control.killed?.error.code == .deadlineExceeded)
    }

    @Test("a kill aimed at another engine leaves the attempt alone")
    func killTargetsTheEngine() {
        let control = AttemptControl(requestID: "r", engine: "e0", now: 0)
        let task = Self.sleeper()
        control.begin(on: "e0", task: task, now: 0)
        control.kill(.transportError, RPCError(.unavailable, "gone"), onlyOn: "e1")
        #expect(control.killed == nil)
        control.kill(.transportError, RPCError(.unavailable, "gone"), onlyOn: "e0")
        #expect(control.killed?.outcome == .transportError)
        #expect(!control.forwarded)
    }
}
