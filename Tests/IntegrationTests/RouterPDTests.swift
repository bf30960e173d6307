import Foundation
import ServingCore
import Testing
import Wire

/// `apus router --pd-disaggregation` and `apus serve --pd` as processes (docs/disaggregation.md §1, §4).
@Suite("Router in PD mode: flags and real engine-cores", .serialized)
struct RouterPDTests {
    /// Whether this build's engine-core knows `--kv-role` (the engine side of disaggregation).
    static let engineHasRoles: Bool = {
        guard let help = try? runApus(["engine-core", "--help"]) else { return false }
        return help.output.contains("--kv-role")
    }()

    @Test(
        "bad PD flags are refused before anything starts, with a message that says what is wrong",
        arguments: [
            (["router", "--prefill", "127.0.0.1:1"], "only go with --pd-disaggregation"),
            (["router", "--decode-policy", "least_loaded"], "only go with --pd-disaggregation"),
            (["router", "--pd-disaggregation", "--prefill", "127.0.0.1:1"], "at least one --prefill and one --decode"),
            (["router", "--pd-disaggregation", "--decode", "127.0.0.1:1"], "at least one --prefill and one --decode"),
            (
                ["router", "--pd-disaggregation", "--prefill", "127.0.0.1:1", "--decode", "127.0.0.1:2", "--engine",
                    "127.0.0.1:3"], "--engine does not go with --pd-disaggregation"
            ),
            (
                ["router", "--pd-disaggregation", "--prefill", "127.0.0.1:1", "--decode", "127.0.0.1:2", "--policy",
                    "round_robin"], "use --prefill-policy and --decode-policy"
            ),
            (
                ["router", "--pd-disaggregation", "--prefill", "127.0.0.1:1", "--decode", "127.0.0.1:2",
                    "--prefill-policy", "fastest"], "--prefill-policy must be one of"
            ),
            (["serve", "--pd", "1X1D"], "--pd: expected XPYD"),
            (["serve", "--pd", "0P1D"], "--pd: expected XPYD"),
            (["serve", "--pd", "1P1D", "--data-parallel-size", "2"], "--pd does not go with --data-parallel-size"),
            (
                ["serve", "--pd", "1P1D", "--pipeline-parallel-size", "2"],
                "--pd does not support --pipeline-parallel-size"
            ),
        ])
    func badFlags(arguments: [String], message: String) throws {
        let (code, output) = try runApus(arguments + (arguments.first == "router" ? ["--port", "0"] : []))
        #expect(code != 0)
        #expect(output.contains(message), "\(output)")
    }

    /// One fake runner and one engine-core per pool, and a PD router over them.
    struct Cluster {
        var processes: [ApusProcess]
        var router: ApusProcess
        func stop() { ([router] + processes.reversed()).forEach { $0.stop() } }
    }

    static func startCluster() async throws -> Cluster {
        var processes: [ApusProcess] = []
        var engines: [String] = []
        for (index, role) in ["producer", "consumer"].enumerated() {
            let runner = try await ApusProcess(
                ["runner", "--fake", "--port", "0", "--admin-port=-1"], name: "runner-\(role)")
            processes.append(runner)
            let engine = try await ApusProcess(
                ["engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port=-1",
                 "--max-model-len", "1024", "--num-gpu-blocks-override", "512", "--engine-id", "\(role)-\(index)"]
                    + (engineHasRoles ? ["--kv-role", role] : []),
                name: "engine-\(role)")
            processes.append(engine)
            engines.append(engine.wireAddress)
        }
        let router = try await ApusProcess(
            ["router", "--port", "0", "--admin-port", "0", "--pd-disaggregation", "--prefill", engines[0], "--decode",
             engines[1]],
            name: "router")
        let cluster = Cluster(processes: processes, router: router)
        let c = client(router.wirePort)
        defer { Task { await c.close() } }
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            let list = try? await c.unary(
                "apus.v1.Router/ListBackends", ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            if let list, list.backends.map(\.address) == engines, list.backends.allSatisfy({ $0.state == .ready }) {
                return cluster
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        cluster.stop()
        throw ProcessError("the router's pools did not become ready; router stderr:\n\(router.stderrTail())")
    }

    static func metrics(_ process: ApusProcess) throws -> String {
        let connection = try OpenAIRawConnection(port: process.adminPort)
        defer { connection.close() }
        connection.setReceiveTimeout(seconds: 5)
        connection.get("/metrics")
        return connection.readResponse().body
    }

    @Test("a PD router over a producer and a consumer engine-core completes requests, streaming from the consumer")
    func completes() async throws {
        let cluster = try await Self.startCluster()
        defer { cluster.stop() }
        let c = client(cluster.router.wirePort)
        defer { Task { await c.close() } }
        for index in 0..<3 {
            var params = SamplingParams()
            params.maxTokens = 5
            params.temperature = 0
            let request = ApusV1.GenerateRequest(
                requestID: "pd-\(index)", promptTokenIDs: (0..<40).map { TokenID($0 + 3) }, samplingParams: params)
            let (outputs, error) = await RouterTests.generate(c, request)
            #expect(error == nil, "\(cluster.router.stderrTail())")
            #expect(outputs.flatMap(\.newTokenIDs).count == 5)
            #expect(outputs.allSatisfy { $0.engineID == "consumer-1" })
        }
        let text = try Self.metrics(cluster.router)
        #expect(text.contains("apus:router_pd_requests_total 3"), "\(text)")
        if Self.engineHasRoles {
            // With the engine side in place the legs pair up: nothing falls back.
            #expect(!text.contains("apus:router_pd_decode_only_total{reason=\"prefill_failed\"} 1"), "\(text)")
            #expect(!text.contains("apus:router_pd_decode_only_total{reason=\"no_kv_params\"} 1"), "\(text)")
        }
    }

    @Test(
        "apus serve --pd 1P1D starts a producer and a consumer and serves completions",
        .enabled(if: RouterPDTests.engineHasRoles, "the engine-core has no --kv-role yet"))
    func serve() async throws {
        let serve = try await ApusProcess(
            ["serve", "--port", "0", "--pd", "1P1D", "--api-key", OpenAICluster.apiKey, "--memory-budget", "512MiB",
             "--max-model-len", "512"],
            name: "serve", timeout: .seconds(120)
        ) { text in
            text.range(of: #"http://[^ ]+/v1"#, options: .regularExpression).map { String(text[$0]) }
        }
        defer { serve.stop() }
        let port = try #require(Int(serve.readyLine.split(separator: ":").last?.split(separator: "/").first ?? ""))
        #expect(ServeSupervisorTests.completes(port: port), "\(serve.stderrTail())")
        let children = ServeSupervisorTests.children(of: serve.process.processIdentifier)
        #expect(Set(children.keys) == ["runner", "engine-core", "router", "api"])
    }
}
