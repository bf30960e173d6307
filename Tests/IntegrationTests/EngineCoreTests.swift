import Foundation
import ServingCore
import Testing
import Wire

/// Engine-core with the scripted runner process over real TCP (issue: engine-core "Done when").
@Suite("Engine-core with a fake runner process", .serialized)
struct EngineCoreTests {
    static func startCluster(extra: [String] = [], runnerPort: Int = 0, stepDelayMs: Int = 0) async throws
        -> (runner: ApusProcess, engine: ApusProcess)
    {
        let runner = try await ApusProcess(
            ["runner", "--fake", "--port", "\(runnerPort)", "--admin-port=-1", "--fake-step-delay-ms", "\(stepDelayMs)"],
            name: "runner")
        let engine = try await ApusProcess(
            ["engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port", "0", "--max-model-len", "1024",
             "--num-gpu-blocks-override", "4096", "--runner-loss-timeout", "20"] + extra, name: "engine")
        return (runner, engine)
    }

    static func request(_ id: String, prompt: Int = 40, maxTokens: Int) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.maxTokens = maxTokens
        params.temperature = 0
        return ApusV1.GenerateRequest(
            requestID: id, promptTokenIDs: (0..<prompt).map { TokenID(($0 * 7 + id.count) % 500 + 3) },
            samplingParams: params)
    }

    /// Streams one request to the end; returns its token count and finish reason.
    static func generate(_ c: RPCClient, _ r: ApusV1.GenerateRequest) async throws -> (Int, FinishReason?) {
        var tokens = 0
        var finish: FinishReason?
        for try await o in try await c.serverStream("apus.v1.Engine/Generate", r, as: ApusV1.GenerateOutput.self) {
            tokens += o.newTokenIDs.count
            finish = o.finishReason ?? finish
        }
        return (tokens, finish)
    }

    static func load(_ c: RPCClient) async throws -> ApusV1.LoadReport {
        try await c.unary("apus.v1.Engine/GetLoad", ApusV1.GetLoadRequest(), as: ApusV1.LoadReport.self)
    }

    @Test("1,000 concurrent streams all complete with the right token counts, and every block is freed")
    func thousandStreams() async throws {
        let (runner, engine) = try await Self.startCluster()
        defer { engine.stop(); runner.stop() }
        let c = client(engine.wirePort)
        let results = try await withThrowingTaskGroup(of: (Int, Int, FinishReason?).self) { group in
            for i in 0..<1000 {
                group.addTask {
                    let want = 5 + i % 20
                    let (n, finish) = try await Self.generate(c, Self.request("r\(i)", maxTokens: want))
                    return (want, n, finish)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 1000)
        #expect(results.allSatisfy { $0.0 == $0.1 && $0.2 == .length })
        let load = try await Self.load(c)
        #expect(load.numRunning == 0 && load.numWaiting == 0)
        // Finished requests' blocks stay cached for prefix reuse but are free (evictable).
        #expect(load.numFreeBlocks == load.numGPUBlocks - 1)
        await c.close()
    }

    @Test("aborts end streams with finish reason abort and free every block (KV usage back to 0)")
    func abortsFreeBlocks() async throws {
        let (runner, engine) = try await Self.startCluster(stepDelayMs: 5)
        defer { engine.stop(); runner.stop() }
        let c = client(engine.wirePort)
        let streams = (0..<50).map { i in
            Task { try await Self.generate(c, Self.request("a\(i)", prompt: 100, maxTokens: 900)) }
        }
        try await Task.sleep(for: .milliseconds(300))
        let busy = try await Self.load(c)
        #expect(busy.kvCacheUsage > 0)
        let reply = try await c.unary(
            "apus.v1.Engine/Abort", ApusV1.AbortRequest(requestIDs: (0..<50).map { "a\($0)" } + ["nope"]),
            as: ApusV1.AbortResponse.self)
        #expect(reply.numAborted == 50)
        for s in streams {
            let (n, finish) = try await s.value
            #expect(finish == .abort)
            #expect(n < 900)
        }
        try await Task.sleep(for: .milliseconds(100))
        let idle = try await Self.load(c)
        #expect(idle.kvCacheUsage == 0)
        #expect(idle.numFreeBlocks == idle.numGPUBlocks - 1)
        await c.close()
    }

    @Test("a client that disconnects mid-stream aborts its request at the engine")
    func disconnectAborts() async throws {
        let (runner, engine) = try await Self.startCluster(stepDelayMs: 5)
        defer { engine.stop(); runner.stop() }
        let watcher = client(engine.wirePort)
        let leaving = client(engine.wirePort)
        let stream = try await leaving.serverStream(
            "apus.v1.Engine/Generate", Self.request("gone", maxTokens: 900), as: ApusV1.GenerateOutput.self)
        var it = stream.makeAsyncIterator()
        _ = try await it.next()
        await leaving.close()
        let deadline = ContinuousClock.now + .seconds(2)
        var load = try await Self.load(watcher)
        while load.numRunning > 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            load = try await Self.load(watcher)
        }
        #expect(load.numRunning == 0)
        #expect(load.kvCacheUsage == 0)
        await watcher.close()
    }

    @Test("kill -9 of the runner mid-generation and a restart: every request completes, readiness dips and returns")
    func runnerCrashAndRestart() async throws {
        let (runner, engine) = try await Self.startCluster(stepDelayMs: 3)
        defer { engine.stop(); runner.stop() }
        let c = client(engine.wirePort)
        let jobs = (0..<40).map { i in
            Task { try await Self.generate(c, Self.request("k\(i)", prompt: 60, maxTokens: 120)) }
        }
        try await Task.sleep(for: .milliseconds(200))
        let port = runner.wirePort
        runner.kill9()
        try await Task.sleep(for: .milliseconds(300))
        let whileGone = try runApus(["probe", engine.wireAddress])
        #expect(whileGone.code == 4, "\(whileGone.output)")
        let replacement = try await ApusProcess(
            ["runner", "--fake", "--port", "\(port)", "--admin-port=-1", "--fake-step-delay-ms", "3"], name: "runner2")
        defer { replacement.stop() }
        for job in jobs {
            let (n, finish) = try await job.value
            #expect(n == 120)
            #expect(finish == .length)
        }
        #expect(try runApus(["probe", engine.wireAddress]).code == 0)
        let load = try await Self.load(c)
        #expect(load.numFreeBlocks == load.numGPUBlocks - 1)
        #expect(load.numPreemptions > 0)
        await c.close()
    }

    @Test("bad requests get clear errors of the right kind and do not disturb others")
    func badRequests() async throws {
        let (runner, engine) = try await Self.startCluster()
        defer { engine.stop(); runner.stop() }
        let c = client(engine.wirePort)
        var tooLong = Self.request("long", prompt: 1024, maxTokens: 1)
        tooLong.requestID = "long"
        await #expect(throws: RPCError.self) { _ = try await Self.generate(c, tooLong) }
        do { _ = try await Self.generate(c, tooLong) } catch let e as RPCError {
            #expect(e.code == .invalidArgument && e.message.contains("max_model_len"))
        }
        var badParams = Self.request("temp", maxTokens: 4)
        badParams.samplingParams.temperature = 5
        do { _ = try await Self.generate(c, badParams); Issue.record("expected INVALID_ARGUMENT") } catch let e as RPCError {
            #expect(e.code == .invalidArgument && e.message.contains("temperature"))
        }
        var outOfVocab = Self.request("vocab", maxTokens: 4)
        outOfVocab.promptTokenIDs[0] = 99_999
        do { _ = try await Self.generate(c, outOfVocab); Issue.record("expected INVALID_ARGUMENT") } catch let e as RPCError {
            #expect(e.code == .invalidArgument && e.message.contains("vocabulary"))
        }
        let (n, finish) = try await Self.generate(c, Self.request("fine", maxTokens: 4))
        #expect(n == 4 && finish == .length)
        await c.close()
    }
}
