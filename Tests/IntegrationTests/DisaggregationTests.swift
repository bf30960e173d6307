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

    /// Every request's tokens (all at once), failing the test on any error.
    static func run(_ port: Int, _ requests: [ApusV1.GenerateRequest]) async throws -> [String: [TokenID]] {
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
            let a = try await Self.run(port, Self.requests(first, tag: "a"))
            // The second wave shares a 64-token prefix: the consumer's prefix cache covers part of each prompt.
            let b = try await Self.run(port, Self.requests(shared, tag: "b"))
            for (id, tokens) in a.merging(b, uniquingKeysWith: { x, _ in x }) {
                #expect(tokens == reference[id], "\(producers)P1D \(id)")
            }
        }
    }
}
