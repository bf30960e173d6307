import Foundation
import ServingCore
import Testing
import Wire

/// Disaggregated prefill/decode with real processes (issue 14): runners with the embedded model, producer and
/// consumer engine-cores, a router in PD mode; outputs compared with one colocated engine-core.
@Suite("Disaggregated prefill/decode across real processes", .serialized)
struct DisaggregationTests {
    struct Cluster {
        var producerRunners: [ApusProcess] = []
        var consumerRunners: [ApusProcess] = []
        var producers: [ApusProcess] = []
        var consumers: [ApusProcess] = []
        var router: ApusProcess?

        var all: [ApusProcess] {
            (router.map { [$0] } ?? []) + consumers + producers + consumerRunners + producerRunners
        }
        func stop() { all.forEach { $0.stop() } }
    }

    static let engineFlags = ["--port", "0", "--admin-port=-1", "--max-model-len", "1024", "--max-num-seqs", "16"]

    /// `producers` P engine-cores (each with its own runner), `consumers` D engine-cores, a router in PD mode.
    static func startPD(
        producers: Int, consumers: Int, producerFlags: [String] = [], consumerFlags: [String] = [],
        routerFlags: [String] = []
    ) async throws -> Cluster {
        var cluster = Cluster()
        do {
            for index in 0..<producers {
                let runner = try await ApusProcess(["runner", "--port", "0", "--admin-port=-1"], name: "p-runner\(index)")
                cluster.producerRunners.append(runner)
                cluster.producers.append(
                    try await ApusProcess(
                        ["engine-core", "--runner", runner.wireAddress, "--kv-role", "producer", "--engine-id", "prefill\(index)"]
                            + engineFlags + producerFlags, name: "producer\(index)"))
            }
            for index in 0..<consumers {
                let runner = try await ApusProcess(["runner", "--port", "0", "--admin-port=-1"], name: "d-runner\(index)")
                cluster.consumerRunners.append(runner)
                cluster.consumers.append(
                    try await ApusProcess(
                        ["engine-core", "--runner", runner.wireAddress, "--kv-role", "consumer", "--engine-id", "decode\(index)"]
                            + engineFlags + consumerFlags, name: "consumer\(index)"))
            }
            let router = try await ApusProcess(
                ["router", "--port", "0", "--admin-port", "0", "--pd-disaggregation"]
                    + cluster.producers.flatMap { ["--prefill", $0.wireAddress] }
                    + cluster.consumers.flatMap { ["--decode", $0.wireAddress] } + routerFlags,
                name: "pd-router")
            cluster.router = router
            try await waitUntilReady(router, engines: producers + consumers)
            return cluster
        } catch {
            cluster.stop()
            throw error
        }
    }

    /// One runner and one ordinary engine-core: the reference.
    static func startColocated(_ flags: [String] = []) async throws -> Cluster {
        var cluster = Cluster()
        let runner = try await ApusProcess(["runner", "--port", "0", "--admin-port=-1"], name: "c-runner")
        cluster.producerRunners.append(runner)
        do {
            cluster.producers.append(
                try await ApusProcess(
                    ["engine-core", "--runner", runner.wireAddress, "--engine-id", "colocated"] + engineFlags + flags,
                    name: "colocated"))
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    static func waitUntilReady(_ router: ApusProcess, engines: Int) async throws {
        let c = client(router.wirePort)
        defer { Task { await c.close() } }
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            let list = try? await c.unary(
                "apus.v1.Router/ListBackends", ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            if let list, list.backends.count == engines, list.backends.allSatisfy({ $0.state == .ready }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessError("the router's engines did not become ready; router stderr:\n\(router.stderrTail())")
    }

    /// Prompts of 20 to 150 tokens; with `sharedPrefix` they all start with the same 64 tokens.
    static func prompts(_ count: Int, seed: Int, sharedPrefix: Bool = false) -> [[TokenID]] {
        var rng = SplitMix64(seed: UInt64(seed))
        let prefix = (0..<64).map { _ in TokenID(rng.next() % 500 + 3) }
        return (0..<count).map { index in
            let length = 20 + index * 130 / max(1, count - 1)
            let own = (0..<length).map { _ in TokenID(rng.next() % 500 + 3) }
            return sharedPrefix ? prefix + own : own
        }
    }

    static func request(_ id: String, _ prompt: [TokenID], maxTokens: Int, seed: UInt64?) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.maxTokens = maxTokens
        params.ignoreEOS = true
        if let seed {
            params.temperature = 1.0
            params.seed = seed
        } else {
            params.temperature = 0
        }
        return ApusV1.GenerateRequest(requestID: id, promptTokenIDs: prompt, samplingParams: params)
    }

    /// Every request's tokens (all at once), failing the test on any error. With `pulled`, each request's first
    /// output must report every prompt token but the last as cached: the consumer pulled them (a fallback computes
    /// them and reports only its local prefix hits).
    static func run(_ port: Int, _ requests: [ApusV1.GenerateRequest], pulled: Bool = false) async throws
        -> [String: [TokenID]]
    {
        let c = client(port)
        defer { Task { await c.close() } }
        let results = await withTaskGroup(of: (String, [ApusV1.GenerateOutput], RPCError?).self) { group in
            for r in requests {
                group.addTask {
                    let (outputs, error) = await RouterTests.generate(c, r)
                    return (r.requestID, outputs, error)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var tokens: [String: [TokenID]] = [:]
        for (id, outputs, error) in results {
            #expect(error == nil, "\(id): \(String(describing: error))")
            #expect(outputs.last?.finishReason == .length, "\(id): \(outputs.last?.errorMessage ?? "")")
            tokens[id] = outputs.flatMap(\.newTokenIDs)
            if pulled, let prompt = requests.first(where: { $0.requestID == id })?.promptTokenIDs {
                #expect(outputs.first?.numCachedTokens == UInt32(prompt.count - 1), "\(id) was not pulled")
            }
        }
        return tokens
    }

    static func requests(_ prompts: [[TokenID]], tag: String, maxTokens: Int = 16) -> [ApusV1.GenerateRequest] {
        prompts.enumerated().flatMap { index, prompt in
            [request("\(tag)-g\(index)", prompt, maxTokens: maxTokens, seed: nil),
             request("\(tag)-s\(index)", prompt, maxTokens: maxTokens, seed: UInt64(100 + index))]
        }
    }

    @Test("1P1D and 2P1D stream exactly the colocated engine's tokens (greedy and seeded, chunked prefill, prefix hits)")
    func outputsMatchColocated() async throws {
        let first = Self.prompts(6, seed: 1)
        let shared = Self.prompts(6, seed: 2, sharedPrefix: true)
        let colocated = try await Self.startColocated()
        let reference: [String: [TokenID]]
        do {
            defer { colocated.stop() }
            let port = colocated.producers[0].wirePort
            reference = try await Self.run(port, Self.requests(first, tag: "a"))
                .merging(try await Self.run(port, Self.requests(shared, tag: "b")), uniquingKeysWith: { a, _ in a })
        }
        for producers in [1, 2] {
            // A 32-token budget on the producers: every prompt is prefilled in chunks.
            let pd = try await Self.startPD(
                producers: producers, consumers: 1, producerFlags: ["--max-num-batched-tokens", "32"])
            defer { pd.stop() }
            let port = pd.router!.wirePort
            let a = try await Self.run(port, Self.requests(first, tag: "a"), pulled: true)
            // The second wave shares a 64-token prefix: the consumer's prefix cache covers part of each prompt.
            let b = try await Self.run(port, Self.requests(shared, tag: "b"), pulled: true)
            for (id, tokens) in a.merging(b, uniquingKeysWith: { x, _ in x }) {
                #expect(tokens == reference[id], "\(producers)P1D \(id)")
            }
        }
    }

    @Test("a consumer short of KV blocks preempts and recomputes, and still streams the colocated tokens")
    func preemptionOnConsumer() async throws {
        let prompts = Self.prompts(8, seed: 3)
        let requests = Self.requests(prompts, tag: "p", maxTokens: 48)
        // 65 blocks of 16 tokens (one 1024-token request fits, as the engine requires): 16 requests of 68 to 198
        // tokens cannot all run at once.
        let small = ["--num-gpu-blocks-override", "65"]
        let colocated = try await Self.startColocated()
        let reference: [String: [TokenID]]
        do {
            defer { colocated.stop() }
            reference = try await Self.run(colocated.producers[0].wirePort, requests)
        }
        let pd = try await Self.startPD(producers: 1, consumers: 1, consumerFlags: small)
        defer { pd.stop() }
        let tokens = try await Self.run(pd.router!.wirePort, requests)
        #expect(tokens == reference)
        let c = client(pd.consumers[0].wirePort)
        defer { Task { await c.close() } }
        let load = try await c.unary("apus.v1.Engine/GetLoad", ApusV1.GetLoadRequest(), as: ApusV1.LoadReport.self)
        #expect(load.numPreemptions > 0)
    }

    @Test("killing the producer's runner under load loses no request: pulls fail over to computing the prompt")
    func producerRunnerKilled() async throws {
        let prompts = Self.prompts(12, seed: 4)
        let requests = Self.requests(prompts, tag: "k", maxTokens: 24)
        let colocated = try await Self.startColocated()
        let reference: [String: [TokenID]]
        do {
            defer { colocated.stop() }
            reference = try await Self.run(colocated.producers[0].wirePort, requests)
        }
        // Prefill legs caught in the dead runner fail after 3 s (not the default 30); the router then sends them to
        // the consumer without params.
        let pd = try await Self.startPD(producers: 1, consumers: 1, producerFlags: ["--runner-loss-timeout", "3"])
        defer { pd.stop() }
        let port = pd.router!.wirePort
        let run = Task { try await Self.run(port, requests) }
        try await Task.sleep(for: .milliseconds(30))
        pd.producerRunners[0].kill9()
        let tokens = try await withTimeout(.seconds(60)) { await run.result }.get()
        #expect(tokens == reference)
    }

    @Test("killing a consumer engine-core after the prefill loses no request: the router retries on the other consumer")
    func consumerEngineKilled() async throws {
        let prompts = Self.prompts(12, seed: 5)
        let requests = Self.requests(prompts, tag: "c", maxTokens: 64)
        let colocated = try await Self.startColocated()
        let reference: [String: [TokenID]]
        do {
            defer { colocated.stop() }
            reference = try await Self.run(colocated.producers[0].wirePort, requests)
        }
        let pd = try await Self.startPD(producers: 1, consumers: 2)
        defer { pd.stop() }
        let c = client(pd.router!.wirePort)
        defer { Task { await c.close() } }
        // Requests whose decode leg had streamed tokens from the killed consumer end with an error (nothing can be
        // retried after a token reached the client); every other one completes with the colocated tokens.
        let results = await withTaskGroup(of: (String, [ApusV1.GenerateOutput], RPCError?).self) { group in
            for r in requests {
                group.addTask {
                    let (outputs, error) = await RouterTests.generate(c, r)
                    return (r.requestID, outputs, error)
                }
            }
            try? await Task.sleep(for: .milliseconds(40))
            pd.consumers[0].kill9()
            return await group.reduce(into: []) { $0.append($1) }
        }
        var completed = 0
        for (id, outputs, error) in results {
            #expect(error == nil, "\(id): \(String(describing: error))")
            if outputs.last?.finishReason == .length {
                completed += 1
                #expect(outputs.flatMap(\.newTokenIDs) == reference[id], "\(id)")
            } else {
                #expect(outputs.last?.finishReason == .error)
                #expect(!outputs.dropLast().flatMap(\.newTokenIDs).isEmpty, "\(id) failed before any token")
            }
        }
        #expect(completed >= requests.count / 2)
        // After the kill every new request completes on the surviving consumer.
        let after = try await Self.run(pd.router!.wirePort, Self.requests(Array(prompts.prefix(2)), tag: "after"))
        #expect(after.count == 4)
    }
}
