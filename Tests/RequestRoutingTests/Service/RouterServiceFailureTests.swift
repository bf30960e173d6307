import Synchronization
import ServingCore
import Testing
import Wire

@testable import RequestRouting

@Suite("Router service: retries, engine deaths and in-flight accounting", .serialized)
struct RouterServiceFailureTests {
    @Test("failures before the first output are retried on another engine, never twice on one")
    func retriesGoElsewhere() async throws {
        var failing = ScriptedEngine.Script()
        failing.failEvery = 1
        let engines = [
            ScriptedEngine.inProcess("e0", failing), ScriptedEngine.inProcess("e1", failing),
            ScriptedEngine.inProcess("e2"),
        ]
        let router = try await RouterHarness(engines, policy: .roundRobin)
        for index in 0..<12 {
            let (outputs, error) = await router.generate("r\(index)")
            #expect(error == nil)
            #expect(outputs.last?.engineID == "e2")
            #expect(outputs.last?.finishReason == .length)
        }
        for engine in engines {
            #expect(Set(engine.received).count == engine.received.count, "\(engine.name) saw a request twice")
        }
        #expect(engines[2].received.count == 12)
        await router.stop()
    }

    @Test("when every engine fails before output the client gets UNAVAILABLE naming the engines")
    func allAttemptsFail() async throws {
        var failing = ScriptedEngine.Script()
        failing.failEvery = 1
        let engines = [ScriptedEngine.inProcess("e0", failing), ScriptedEngine.inProcess("e1", failing)]
        let router = try await RouterHarness(engines, policy: .roundRobin)
        let (outputs, error) = await router.generate("doomed")
        #expect(outputs.isEmpty)
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains(engines[0].address) == true)
        #expect(error?.message.contains(engines[1].address) == true)
        #expect(engines.map(\.received) == [["doomed"], ["doomed"]])
        await router.stop()
    }

    @Test("client errors are final: INVALID_ARGUMENT comes back as is, without a retry")
    func clientErrorsAreFinal() async throws {
        var rejecting = ScriptedEngine.Script()
        rejecting.failEvery = 1
        rejecting.failure = RPCError(.invalidArgument, "prompt too long")
        let engines = [ScriptedEngine.inProcess("e0", rejecting), ScriptedEngine.inProcess("e1", rejecting)]
        let router = try await RouterHarness(engines, policy: .roundRobin)
        let (_, error) = await router.generate("bad")
        #expect(error == RPCError(.invalidArgument, "prompt too long"))
        #expect(engines.map(\.received.count).reduce(0, +) == 1)
        #expect(try await router.backends().allSatisfy { $0.state == .ready })
        await router.stop()
    }

    @Test("an engine dying: a request without output is retried elsewhere, one mid-stream ends with a clear error")
    func engineDeath() async throws {
        var waiting = ScriptedEngine.Script()
        waiting.firstOutputDelay = .seconds(30)
        let dying = try await ScriptedEngine.start("dying", waiting)
        let router = try await RouterHarness([dying])
        var slow = ScriptedEngine.Script()
        slow.tokens = 50
        slow.outputInterval = .milliseconds(20)
        let streaming = try await ScriptedEngine.start("streaming", slow)
        defer { [dying, streaming].forEach { $0.stop() } }
        let early = Task { await router.generate("early") }
        try await router.waitUntil("the dying engine holds the request") { dying.liveCount == 1 }
        _ = try await router.client.unary(
            RouterService.Method.addBackend, ApusV1.AddBackendRequest(address: streaming.address),
            as: ApusV1.BackendList.self)
        try await router.waitUntil("the second engine is ready") { try await router.state(of: streaming) == .ready }
        dying.stop()
        let (outputs, error) = await early.value
        #expect(error == nil)
        #expect(outputs.last?.engineID == "streaming")
        #expect(outputs.last?.finishReason == .length)

        let late = Task { await router.generate("late") }
        try await router.waitUntil("the request streams") { streaming.liveCount == 1 }
        try await Task.sleep(for: .milliseconds(100))
        streaming.stop()
        let (partial, lateError) = await late.value
        #expect(lateError == nil)
        #expect(partial.count >= 2)
        #expect(partial.last?.finishReason == .error)
        #expect(partial.last?.errorMessage.contains("\(streaming.address) failed after output was streamed") == true)
        await router.stop()
    }

    @Test("a first-token timeout moves the request to another engine and aborts it on the first")
    func firstTokenTimeoutRetries() async throws {
        var stuck = ScriptedEngine.Script()
        stuck.firstOutputDelay = .seconds(30)
        let engines = [ScriptedEngine.inProcess("stuck", stuck), ScriptedEngine.inProcess("fine")]
        let router = try await RouterHarness(engines, policy: .roundRobin) {
            $0.firstTokenTimeout = .milliseconds(300)
        }
        let started = ContinuousClock.now
        for index in 0..<2 {
            let (outputs, error) = await router.generate("t\(index)")
            #expect(error == nil)
            #expect(outputs.last?.engineID == "fine")
        }
        #expect(started.duration(to: .now) < .seconds(3))
        #expect(engines[0].received.contains("t0"))
        try await router.waitUntil("the stuck engine got the aborts") {
            Set(engines[0].received).isSubset(of: engines[0].aborted)
        }
        try await router.waitUntil("no request left in flight") {
            try await router.backends().allSatisfy { $0.inFlight == 0 }
        }
        await router.stop()
    }

    @Test("a client that cancels mid-stream: the router aborts the request on its engine and frees its slot")
    func clientCancelAborts() async throws {
        var slow = ScriptedEngine.Script()
        slow.tokens = 1_000
        slow.outputInterval = .milliseconds(20)
        let engine = ScriptedEngine.inProcess("slow", slow)
        let router = try await RouterHarness([engine])
        let outputs = Mutex(0)
        let client = Task {
            let stream = try await router.client.serverStream(
                RouterService.Method.generate, ApusV1.GenerateRequest(requestID: "gone", promptTokenIDs: Array(0..<20)),
                as: ApusV1.GenerateOutput.self)
            for try await _ in stream { outputs.withLock { $0 += 1 } }
        }
        try await router.waitUntil("outputs stream") { outputs.withLock { $0 } >= 2 }
        client.cancel()
        try await router.waitUntil("the engine got the abort") { engine.aborted.contains("gone") }
        try await router.waitUntil("no request left in flight") {
            try await router.backends().allSatisfy { $0.inFlight == 0 }
        }
        await router.stop()
    }

    @Test("removing an engine moves its requests that had no output to another engine")
    func removalRetries() async throws {
        var stuck = ScriptedEngine.Script()
        stuck.firstOutputDelay = .seconds(30)
        let engines = [ScriptedEngine.inProcess("stuck", stuck), ScriptedEngine.inProcess("fine")]
        let router = try await RouterHarness(engines, policy: .roundRobin)
        let requests = (0..<4).map { index in Task { await router.generate("m\(index)") } }
        try await router.waitUntil("the stuck engine holds two") { engines[0].liveCount == 2 }
        _ = try await router.client.unary(
            RouterService.Method.removeBackend, ApusV1.RemoveBackendRequest(address: engines[0].address),
            as: ApusV1.BackendList.self)
        for request in requests {
            let (outputs, error) = await request.value
            #expect(error == nil)
            #expect(outputs.last?.engineID == "fine")
            #expect(outputs.last?.finishReason == .length)
        }
        #expect(router.service.active.count == 0)
        await router.stop()
    }

    @Test("no in-flight count leaks after random cancels, failures before and after output, and retries")
    func noLeaks() async throws {
        var flaky = ScriptedEngine.Script()
        flaky.failEvery = 3
        flaky.tokens = 6
        var breaking = ScriptedEngine.Script()
        breaking.breakMidStreamEvery = 4
        breaking.tokens = 6
        var plain = ScriptedEngine.Script()
        plain.tokens = 6
        plain.outputInterval = .milliseconds(3)
        let engines = [
            ScriptedEngine.inProcess("e0", flaky), ScriptedEngine.inProcess("e1", breaking),
            ScriptedEngine.inProcess("e2", plain),
        ]
        let router = try await RouterHarness(engines, policy: .powerOfTwo)
        var generator = SystemRandomNumberGenerator()
        let ends = await withTaskGroup(of: FinishReason?.self) { group in
            for index in 0..<300 {
                let cancelAfter = Int.random(in: 0..<40, using: &generator)
                let cancels = index % 3 == 0
                group.addTask {
                    let request = Task { await router.generate("n\(index)") }
                    if cancels {
                        try? await Task.sleep(for: .milliseconds(cancelAfter))
                        request.cancel()
                    }
                    return await request.value.outputs.last?.finishReason
                }
            }
            return await group.reduce(into: [FinishReason?]()) { $0.append($1) }
        }
        #expect(ends.filter { $0 == .length }.count >= 100, "\(ends)")
        #expect(ends.contains(.error), "a request broken mid-stream ends with an error output")
        try await router.waitUntil("every count is back to zero") {
            try await router.backends().allSatisfy { $0.inFlight == 0 }
        }
        #expect(router.service.active.count == 0)
        router.service.core.withCore { $0.ledger.checkInvariants() }
        #expect(router.service.core.withCore { $0.ledger.count } == 0)
        await router.stop()
    }
}
