import Synchronization
import Testing
import Wire

@testable import RequestRouting

@Suite("AttemptControl timeouts and kills")
struct AttemptControlTests {
    /// The errors an attempt's upstream call was cancelled with.
    final class CallRecorder: Sendable {
        let errors = Mutex<[RPCError]>([])
        var cancel: @Sendable (RPCError) -> Void { { error in self.errors.withLock { $0.append(error) } } }
        var cancelled: [RPCError] { errors.withLock { $0 } }
    }

    @Test("a tick whose clock reading predates the attempt's start never times it out")
    func noWrapAround() {
        let control = AttemptControl(requestID: "r", engine: "e0", now: 0)
        let call = CallRecorder()
        control.begin(on: "e0", now: 1_000)
        control.attach(cancel: call.cancel)
        control.enforceTimeouts(now: 999, firstOutput: 100, idle: 100)
        #expect(control.killed == nil)
        #expect(control.touch(now: 1_050))
        control.enforceTimeouts(now: 1_049, firstOutput: 100, idle: 100)
        #expect(control.killed == nil && call.cancelled.isEmpty)
    }

    @Test("first-output and idle timeouts kill the attempt with a timed-out outcome and cancel its call")
    func timeoutsKill() {
        let control = AttemptControl(requestID: "r", engine: "e0", now: 0)
        let first = CallRecorder()
        control.begin(on: "e0", now: 0)
        control.attach(cancel: first.cancel)
        control.enforceTimeouts(now: 99, firstOutput: 100, idle: 50)
        #expect(control.killed == nil)
        control.enforceTimeouts(now: 100, firstOutput: 100, idle: 50)
        #expect(control.killed?.outcome == .timedOut)
        #expect(first.cancelled.map(\.code) == [.deadlineExceeded])
        control.end()

        let second = CallRecorder()
        control.begin(on: "e1", now: 200)
        control.attach(cancel: second.cancel)
        #expect(control.killed == nil, "a new attempt forgets the last kill")
        _ = control.touch(now: 210)
        control.enforceTimeouts(now: 259, firstOutput: 100, idle: 50)
        #expect(control.killed == nil)
        control.enforceTimeouts(now: 260, firstOutput: 100, idle: 50)
        #expect(control.killed?.error.code == .deadlineExceeded)
        #expect(second.cancelled.count == 1 && first.cancelled.count == 1, "each kill cancels only its own call")
    }

    @Test("a kill aimed at another engine leaves the attempt alone")
    func killTargetsTheEngine() {
        let control = AttemptControl(requestID: "r", engine: "e0", now: 0)
        let call = CallRecorder()
        control.begin(on: "e0", now: 0)
        control.attach(cancel: call.cancel)
        control.kill(.transportError, RPCError(.unavailable, "gone"), onlyOn: "e1")
        #expect(control.killed == nil && call.cancelled.isEmpty)
        control.kill(.transportError, RPCError(.unavailable, "gone"), onlyOn: "e0")
        #expect(control.killed?.outcome == .transportError)
        #expect(call.cancelled.map(\.message) == ["gone"])
        #expect(!control.forwarded)
    }

    @Test("a kill while the call is being made cancels the call as soon as it is attached; a finished attempt is not killed")
    func killBeforeAttach() {
        let control = AttemptControl(requestID: "r", engine: "e0", now: 0)
        control.begin(on: "e0", now: 0)
        control.kill(.transportError, RPCError(.unavailable, "engine removed"), onlyOn: "e0")
        let call = CallRecorder()
        control.attach(cancel: call.cancel)
        #expect(call.cancelled.map(\.message) == ["engine removed"])
        control.end()
        let late = CallRecorder()
        control.attach(cancel: late.cancel)
        control.kill(.timedOut, RPCError(.deadlineExceeded, "late"))
        #expect(late.cancelled.isEmpty)
    }
}
