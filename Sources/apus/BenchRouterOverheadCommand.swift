import ApusBench
import ArgumentParser
import Foundation
import RequestRouting

/// `apus bench router-overhead`: time to first output straight to an engine-core vs through a router.
///
/// Without addresses it starts its own `runner --fake` + `engine-core` + `router` on loopback (children of this
/// process, stopped afterwards), so the number measures the router alone, not a model.
struct BenchRouterOverheadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router-overhead", abstract: "Latency the router adds to Generate (p50 / p99), on loopback.")

    @Option(help: "An engine-core HOST:PORT (default: start one with a fake runner).") var engine: String?
    @Option(help: "A router HOST:PORT in front of --engine (default: start one).") var router: String?
    @Option(help: "Requests per path.") var requests: Int = 2000
    @Option(help: "Warm-up requests per path.") var warmup: Int = 200
    @OptionGroup var output: BenchOutputOptions

    func run() async throws {
        var children: [ChildProcess] = []
        defer { children.reversed().forEach { $0.stop() } }
        var engineAddress = engine
        var routerAddress = router
        if engineAddress == nil || routerAddress == nil {
            let common = ["--host", "127.0.0.1", "--port", "0", "--admin-port=-1", "--log-level", "warning"]
            let runner = ChildProcess(name: "runner", arguments: ["runner", "--fake"] + common)
            try await runner.start()
            children.append(runner)
            let core = ChildProcess(
                name: "engine-core",
                arguments: ["engine-core", "--runner", runner.address("wire")!, "--num-gpu-blocks-override", "4096",
                            "--max-model-len", "1024"] + common)
            try await core.start()
            children.append(core)
            let front = ChildProcess(name: "router", arguments: ["router", "--engine", core.address("wire")!] + common)
            try await front.start()
            children.append(front)
            engineAddress = core.address("wire")
            routerAddress = front.address("wire")
            try await Task.sleep(for: .seconds(1))  // let the router see the engine ready
        }
        let result = try await RouterOverheadBenchmark.run(
            engine: engineAddress!, router: routerAddress!, requests: requests, warmup: warmup)
        if output.json {
            let fields: [String: Any] = [
                "requests": result.requests,
                "direct_p50_ms": result.direct.p50, "direct_p99_ms": result.direct.p99,
                "routed_p50_ms": result.routed.p50, "routed_p99_ms": result.routed.p99,
                "added_p50_ms": result.routed.p50 - result.direct.p50,
                "added_p99_ms": result.routed.p99 - result.direct.p99,
            ]
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            result.lines.forEach { print($0) }
        }
    }
}
