import Foundation
import ServingCore
import Synchronization
import Testing
import Wire

/// `apus runner --fake` whose steps take 10 ms per scheduled token + `apus engine-core` + `apus router`, real
/// processes over TCP (issue 9): a long step is not a hung engine, a stopped process is.
@Suite("Hung detection with real processes", .serialized)
struct HungDetectionTests {
    struct Cluster {
        var runner: ApusProcess
        var engine: ApusProcess
        var router: ApusProcess

        /// Continues any stopped process first: a stopped one would not act on SIGTERM.
        func stop() {
            for process in [router, engine, runner] where process.process.isRunning {
                kill(process.process.processIdentifier, SIGCONT)
            }
            router.stop()
            engine.stop()
            runner.stop()
        }
    }

    static func startCluster() async throws -> Cluster {
        let runner = try await ApusProcess(
            ["runner", "--fake", "--port", "0", "--admin-port=-1", "--fake-token-delay-ms", "10"], name: "runner")
        let engine = try await ApusProcess(
            ["engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port=-1", "--max-model-len", "1024",
             "--num-gpu-blocks-override", "2048", "--engine-id", "ec0"],
            name: "engine")
        let router = try await ApusProcess(
            ["router", "--port", "0", "--admin-port=-1", "--policy", "round_robin", "--engine", engine.wireAddress],
            name: "router")
        let cluster = Cluster(runner: runner, engine: engine, router: router)
        let c = client(router.wirePort)
        defer { Task { await c.close() } }
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            if (try? await state(c)) == .ready { return cluster }
            try await Task.sleep(for: .milliseconds(50))
        }
        cluster.stop()
        throw ProcessError("the router's engine did not become ready; router stderr:\n\(router.stderrTail())")
    }

    static func state(_ c: RPCClient) async throws -> ApusV1.BackendState? {
        try await c.unary("apus.v1.Router/ListBackends", ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            .backends.first?.state
    }

    static func request(_ id: String, prompt: Int, offset: Int, maxTokens: Int) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.maxTokens = maxTokens
        params.temperature = 0
        let tokens = (0..<prompt).map { TokenID(($0 * 7 + offset) % 500 + 3) }
        return ApusV1.GenerateRequest(requestID: id, promptTokenIDs: tokens, samplingParams: params)
    }

    /// Starts a long request and returns once it has streamed `outputs` tokens (so the router has timed steps of
    /// it), with the task that streams the rest.
    static func startStreaming(_ c: RPCClient, _ r: ApusV1.GenerateRequest, outputs: Int = 5) async throws
        -> Task<Void, Never>
    {
        let streamed = Mutex(0)
        let task = Task {
            guard let stream = try? await c.serverStream(
                "apus.v1.Engine/Generate", r, as: ApusV1.GenerateOutput.self) else { return }
            do {
                for try await _ in stream { streamed.withLock { $0 += 1 } }
            } catch {}
        }
        let end = ContinuousClock.now + .seconds(20)
        while streamed.withLock({ $0 }) < outputs {
            guard ContinuousClock.now < end else {
                task.cancel()
                throw ProcessError("request \(r.requestID) did not stream \(outputs) outputs")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return task
    }

    /// Polls the engine's state every 50 ms until it leaves ready or `limit` passes; the time it left, if it did.
    static func timeToLeaveReady(_ c: RPCClient, limit: Duration) async throws -> Duration? {
        let start = ContinuousClock.now
        while start.duration(to: .now) < limit {
            if try await state(c) != .ready { return start.duration(to: .now) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test("a 5 s prefill step after steps of the same time per token is not hung, and new requests are taken")
    func slowStepIsNotHung() async throws {
        let cluster = try await Self.startCluster()
        defer { cluster.stop() }
        let c = client(cluster.router.wirePort)
        // Teaches the router about 10 ms per token: a 24-token prefill, then decodes of one token.
        let (warm, warmError) = await RouterTests.generate(
            c, Self.request("warm", prompt: 24, offset: 1, maxTokens: 30))
        #expect(warmError == nil && warm.flatMap(\.newTokenIDs).count == 30)

        // 500 prompt tokens in one step: 5 s. A request sent halfway through must be taken, not refused as hung.
        let started = ContinuousClock.now
        let long = Task { await RouterTests.generate(c, Self.request("long", prompt: 500, offset: 2, maxTokens: 2)) }
        let during = Task {
            try? await Task.sleep(for: .milliseconds(2_500))
            return await RouterTests.generate(c, Self.request("during", prompt: 8, offset: 3, maxTokens: 1))
        }
        #expect(try await Self.timeToLeaveReady(c, limit: .seconds(6)) == nil, "the engine left ready mid-step")
        let (outputs, error) = try await withTimeout(.seconds(30)) { await long.value }
        #expect(error == nil, "\(String(describing: error))")
        #expect(outputs.last?.finishReason == .length)
        #expect(started.duration(to: .now) > .milliseconds(4_500), "the long step was not long")
        let (duringOutputs, duringError) = try await withTimeout(.seconds(30)) { await during.value }
        #expect(duringError == nil, "refused during the long step: \(String(describing: duringError))")
        #expect(duringOutputs.last?.finishReason == .length)
        #expect(!cluster.router.stderrTail(200).contains("hung"), "\(cluster.router.stderrTail())")
        await c.close()
    }

    @Test("a SIGSTOPped engine-core is hung within 3 s: its reports stop")
    func stoppedEngineCoreIsHung() async throws {
        try await Self.expectHungWhenStopped(\.engine, bound: .seconds(3), offset: 4)
    }

    // The 2 s floor counts from the start of the stuck step; the rest is slack for router ticks, the poll and a
    // loaded 2-core machine (the engine-core's keepalive would drop the runner only at about 6 s).
    @Test("a SIGSTOPped runner is hung within 4 s: the engine-core reports a one-token step that never ends")
    func stoppedRunnerIsHung() async throws {
        try await Self.expectHungWhenStopped(\.runner, bound: .seconds(4), offset: 5)
    }

    /// Stops one process of a cluster in the middle of a stream and expects the router to take the engine out of
    /// service within `bound`, saying why.
    static func expectHungWhenStopped(
        _ which: KeyPath<Cluster, ApusProcess>, bound: Duration, offset: Int
    ) async throws {
        let cluster = try await startCluster()
        defer { cluster.stop() }
        let c = client(cluster.router.wirePort)
        let running = try await startStreaming(c, request("stop-\(offset)", prompt: 16, offset: offset, maxTokens: 800))
        let pid = cluster[keyPath: which].process.processIdentifier
        kill(pid, SIGSTOP)
        let after = try await timeToLeaveReady(c, limit: .seconds(5))
        kill(pid, SIGCONT)
        let left = try #require(after, "the engine stayed ready with a stopped process")
        #expect(left < bound, "left ready after \(left)")
        #expect(
            cluster.router.stderrTail(200).contains("takes no new requests: hung"), "\(cluster.router.stderrTail())")
        running.cancel()
        await c.close()
    }
}
