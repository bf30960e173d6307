import Foundation
import ServingCore
import Testing
import Wire

/// `apus runner --fake` ×2 + `apus engine-core` ×2 + `apus router`, real processes over TCP (issue 6).
@Suite("Router in front of two engine-cores", .serialized)
struct RouterTests {
    struct Cluster {
        var runners: [ApusProcess]
        var engines: [ApusProcess]
        var router: ApusProcess

        func stop() {
            router.stop()
            engines.forEach { $0.stop() }
            runners.forEach { $0.stop() }
        }
    }

    static func startCluster(
        policy: String = "prefix_aware", stepDelayMs: Int = 0, maxNumSeqs: Int = 256, routerFlags: [String] = []
    ) async throws -> Cluster
    {
        var runners: [ApusProcess] = []
        var engines: [ApusProcess] = []
        for index in 0..<2 {
            let runner = try await ApusProcess(
                ["runner", "--fake", "--port", "0", "--admin-port=-1", "--fake-step-delay-ms", "\(stepDelayMs)"],
                name: "runner\(index)")
            runners.append(runner)
            engines.append(
                try await ApusProcess(
                    ["engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port=-1",
                     "--max-model-len", "1024", "--num-gpu-blocks-override", "2048", "--engine-id", "ec\(index)",
                     "--max-num-seqs", "\(maxNumSeqs)"],
                    name: "engine\(index)"))
        }
        let router = try await ApusProcess(
            ["router", "--port", "0", "--admin-port", "0", "--policy", policy] + routerFlags
                + engines.flatMap { ["--engine", $0.wireAddress] },
            name: "router")
        let cluster = Cluster(runners: runners, engines: engines, router: router)
        let c = client(router.wirePort)
        defer { Task { await c.close() } }
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            let list = try? await c.unary(
                "apus.v1.Router/ListBackends", ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            if let list, list.backends.count == 2, list.backends.allSatisfy({ $0.state == .ready }) { return cluster }
            try await Task.sleep(for: .milliseconds(50))
        }
        cluster.stop()
        throw ProcessError("the router's engines did not become ready; router stderr:\n\(router.stderrTail())")
    }

    static func request(_ id: String, prompt: [TokenID]? = nil, maxTokens: Int) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.maxTokens = maxTokens
        params.temperature = 0
        let tokens = prompt ?? (0..<24).map { TokenID(($0 * 13 + id.hashValue & 0xff) % 500 + 3) }
        return ApusV1.GenerateRequest(requestID: id, promptTokenIDs: tokens, samplingParams: params)
    }

    /// Streams one request to its end: outputs and the error it ended with, if any.
    static func generate(_ c: RPCClient, _ r: ApusV1.GenerateRequest) async -> ([ApusV1.GenerateOutput], RPCError?) {
        var outputs: [ApusV1.GenerateOutput] = []
        do {
            for try await o in try await c.serverStream("apus.v1.Engine/Generate", r, as: ApusV1.GenerateOutput.self) {
                outputs.append(o)
            }
            return (outputs, nil)
        } catch {
            return (outputs, RPCError.from(error))
        }
    }

    @Test("concurrent requests spread over both engine-cores and all complete")
    func requestsSpread() async throws {
        let cluster = try await Self.startCluster(policy: "least_loaded", stepDelayMs: 2)
        defer { cluster.stop() }
        let c = client(cluster.router.wirePort)
        let results = await withTaskGroup(of: ([ApusV1.GenerateOutput], RPCError?).self) { group in
            for index in 0..<40 { group.addTask { await Self.generate(c, Self.request("s\(index)", maxTokens: 10)) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.1 == nil && $0.0.flatMap(\.newTokenIDs).count == 10 })
        let perEngine = Dictionary(grouping: results.compactMap { $0.0.last?.engineID }, by: { $0 }).mapValues(\.count)
        #expect(perEngine.count == 2, "\(perEngine)")
        #expect(perEngine.values.allSatisfy { $0 >= 10 }, "\(perEngine)")
        await c.close()
    }

    @Test("prefix_aware keeps a shared prefix on the engine-core that caches it (real KV events and block hashes)")
    func prefixStaysOnItsEngine() async throws {
        let cluster = try await Self.startCluster()
        defer { cluster.stop() }
        let c = client(cluster.router.wirePort)
        let prefix = (0..<96).map { TokenID($0 * 5 % 400 + 11) }
        let (first, _) = await Self.generate(c, Self.request("p0", prompt: prefix + [1, 2], maxTokens: 2))
        let holder = try #require(first.last?.engineID)
        // Past the speculative entries' 2 s lifetime: only the engine's KV events can keep the prefix there.
        try await Task.sleep(for: .milliseconds(2_500))
        var same = 0
        var cached: UInt32 = 0
        for index in 1..<20 {
            let (outputs, _) = await Self.generate(
                c, Self.request("p\(index)", prompt: prefix + [TokenID(index), 3], maxTokens: 2))
            if outputs.last?.engineID == holder { same += 1 }
            cached += outputs.first?.numCachedTokens ?? 0
        }
        #expect(same == 19)
        #expect(cached >= 19 * 96)
        await c.close()
    }

    @Test("kill -9 of one engine-core under load: waiting requests are retried, mid-stream ones end with an error, new ones go to the other")
    func engineKilledUnderLoad() async throws {
        let cluster = try await Self.startCluster(
            policy: "least_loaded", stepDelayMs: 10, maxNumSeqs: 4, routerFlags: ["--base-ejection-time", "1"])
        defer { cluster.stop() }
        let c = client(cluster.router.wirePort)
        let requests = (0..<24).map { index in Task { await Self.generate(c, Self.request("k\(index)", maxTokens: 40)) } }
        try await Task.sleep(for: .milliseconds(250))
        cluster.engines[0].kill9()
        var completed = 0
        var midStreamErrors = 0
        for request in requests {
            let (outputs, error) = try await withTimeout(.seconds(30)) { await request.value }
            #expect(error == nil, "\(String(describing: error))")
            switch outputs.last?.finishReason {
            case .length:
                completed += 1
                #expect(outputs.flatMap(\.newTokenIDs).count == 40)
            case .error:
                midStreamErrors += 1
                #expect(outputs.last?.engineID == "ec0")
                #expect(outputs.last?.errorMessage.contains("failed after output was streamed") == true)
            default: Issue.record("unexpected end \(String(describing: outputs.last))")
            }
        }
        // At most the requests ec0 was running (max-num-seqs 4) had streamed; every waiting one was retried.
        #expect(midStreamErrors <= 4)
        #expect(completed + midStreamErrors == 24)
        #expect(completed >= 20)
        for index in 0..<5 {
            let (outputs, error) = await Self.generate(c, Self.request("after\(index)", maxTokens: 3))
            #expect(error == nil)
            #expect(outputs.last?.engineID == "ec1")
        }

        // The engine-core comes back on the same address: after its ejection (1 s here) a successful check
        // admits it again and it takes requests.
        let restarted = try await ApusProcess(
            ["engine-core", "--runner", cluster.runners[0].wireAddress, "--port", "\(cluster.engines[0].wirePort)",
             "--admin-port=-1", "--max-model-len", "1024", "--num-gpu-blocks-override", "2048", "--engine-id", "ec0"],
            name: "engine0-restarted")
        defer { restarted.stop() }
        let end = ContinuousClock.now + .seconds(15)
        var ready = false
        while !ready && ContinuousClock.now < end {
            let list = try await c.unary(
                "apus.v1.Router/ListBackends", ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            ready = list.backends.allSatisfy { $0.state == .ready }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ready, "the restarted engine-core was not re-admitted")
        let again = await withTaskGroup(of: String?.self) { group in
            for index in 0..<12 {
                group.addTask { await Self.generate(c, Self.request("back\(index)", maxTokens: 20)).0.last?.engineID }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(again.contains("ec0"), "\(again)")
        await c.close()
    }
}

extension RouterTests {
    @Test("a SIGSTOPped engine-core under load is excluded within 3 s; its streams end and new requests go elsewhere")
    func stoppedEngineExcluded() async throws {
        let cluster = try await Self.startCluster(policy: "round_robin", stepDelayMs: 10)
        defer {
            kill(cluster.engines[0].process.processIdentifier, SIGCONT)
            cluster.stop()
        }
        let c = client(cluster.router.wirePort)
        let requests = (0..<8).map { index in Task { await Self.generate(c, Self.request("h\(index)", maxTokens: 600)) } }
        try await Task.sleep(for: .milliseconds(500))
        kill(cluster.engines[0].process.processIdentifier, SIGSTOP)
        let stoppedAt = ContinuousClock.now
        var excludedAfter: Duration?
        while stoppedAt.duration(to: .now) < .seconds(5) {
            let list = try await c.unary(
                "apus.v1.Router/ListBackends", ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            if list.backends.first(where: { $0.engineID == "ec0" })?.state != .ready {
                excludedAfter = stoppedAt.duration(to: .now)
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let after = try #require(excludedAfter, "the stopped engine was never excluded")
        #expect(after < .seconds(3), "excluded after \(after)")
        for index in 0..<4 {
            let (outputs, error) = await Self.generate(c, Self.request("new\(index)", maxTokens: 2))
            #expect(error == nil)
            #expect(outputs.last?.engineID == "ec1")
        }
        for request in requests {
            let (outputs, error) = try await withTimeout(.seconds(30)) { await request.value }
            #expect(error == nil)
            let last = try #require(outputs.last)
            if last.engineID == "ec0" {
                #expect(last.finishReason == .error)
            } else {
                #expect(last.finishReason == .length)
            }
        }
        await c.close()
    }
}

/// Runs `body`, failing when it takes longer than `limit` (nothing may hang).
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let value = try await group.next() ?? nil else { throw ProcessError("timed out after \(limit)") }
        return value
    }
}
