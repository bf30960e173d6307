import Logging
import Wire

/// The Apus side of `apus bench wire`: an `RPCServer` and an `RPCClient` in this process over loopback TCP.
///
/// Methodology (Benchmarks/GRPCBench does exactly the same with grpc-swift): one connection; `plan.warmup`
/// untimed unary calls per unary workload, then `plan.iterations` sequential calls, each timed from just before
/// the call to its decoded response; the stream workload runs one untimed stream of `plan.warmup` messages, then one
/// timed stream of `plan.streamMessages`, from the request to the last decoded message. The server encodes every
/// response afresh; the client decodes every response and checks it.
public enum WireRPCBenchmark {
    public static let unaryMethod = "apus.bench.Bench/Unary"
    public static let streamMethod = "apus.bench.Bench/Stream"

    /// The benchmark service: Unary answers `WireBenchWorkload.unaryResponse`; Stream sends max_tokens outputs.
    public static func handlers() -> RPCHandlers {
        var h = RPCHandlers()
        h.unary(unaryMethod) { (request: ApusV1.GenerateRequest, _) in WireBenchWorkload.unaryResponse(to: request) }
        h.serverStreaming(streamMethod) {
            (request: ApusV1.GenerateRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            let count = request.samplingParams.maxTokens
            for index in 0..<count { try writer.send(WireBenchWorkload.streamOutput(index: index, count: count)) }
        }
        return h
    }

    /// The in-process server logs only errors, so a run's output is its results.
    static var quietLogger: Logger {
        var logger = Logger(label: "apus.bench.wire")
        logger.logLevel = .error
        return logger
    }

    /// Runs the three workloads and returns one result each, in `WireBenchWorkload.allCases` order.
    public static func run(plan: WireBenchPlan) async throws -> [WireBenchResult] {
        let server = RPCServer(
            host: "127.0.0.1", port: 0, identity: .init(service: "bench"), handlers: handlers(),
            shutdownGracePeriod: .seconds(1), logger: quietLogger)
        let serverTask = Task { try await server.run() }
        defer { serverTask.cancel() }
        guard let port = try await server.boundAddress().port else { throw RPCError(.internal, "no bound port") }
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(service: "bench-client"))
        do {
            let results = [
                try await unary(client, .unarySmall, promptTokens: WireBenchWorkload.smallPromptTokens, plan: plan),
                try await unary(client, .unary4kTokens, promptTokens: WireBenchWorkload.largePromptTokens, plan: plan),
                try await stream(client, plan: plan),
            ]
            await client.close()
            return results
        } catch {
            await client.close()
            throw error
        }
    }

    static func unary(
        _ client: RPCClient, _ workload: WireBenchWorkload, promptTokens: Int, plan: WireBenchPlan
    ) async throws -> WireBenchResult {
        let request = WireBenchWorkload.request(promptTokens: promptTokens, maxTokens: 64)
        let expected = WireBenchWorkload.unaryResponse(to: request)
        func call() async throws {
            let response = try await client.unary(unaryMethod, request, as: ApusV1.GenerateOutput.self)
            guard response.numCachedTokens == UInt32(promptTokens), response.newTokenIDs == [42] else {
                throw RPCError(.internal, "bench: unexpected unary response")
            }
        }
        for _ in 0..<plan.warmup { try await call() }
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(plan.iterations)
        let start = clock.now
        for _ in 0..<plan.iterations {
            let t0 = clock.now
            try await call()
            samples.append(BenchPercentile.micros(t0.duration(to: clock.now)))
        }
        let total = BenchPercentile.micros(start.duration(to: clock.now)) / 1e6
        samples.sort()
        return WireBenchResult(
            impl: "apus", workload: workload, p50US: BenchPercentile.of(samples, 0.5),
            p99US: BenchPercentile.of(samples, 0.99), msgsPerS: Double(plan.iterations) / total,
            requestBytes: request.encodedSize(), responseBytes: expected.encodedSize(), count: plan.iterations)
    }

    static func stream(_ client: RPCClient, plan: WireBenchPlan) async throws -> WireBenchResult {
        func receive(_ count: Int) async throws {
            let request = WireBenchWorkload.request(promptTokens: WireBenchWorkload.smallPromptTokens, maxTokens: count)
            var received = 0
            for try await output in try await client.serverStream(
                streamMethod, request, as: ApusV1.GenerateOutput.self)
            {
                guard output.newTokenIDs.first == Int32(received % 32_000) else {
                    throw RPCError(.internal, "bench: stream message \(received) out of order")
                }
                received += 1
            }
            guard received == count else { throw RPCError(.internal, "bench: stream ended after \(received)") }
        }
        try await receive(plan.warmup)
        let clock = ContinuousClock()
        let start = clock.now
        try await receive(plan.streamMessages)
        let seconds = BenchPercentile.micros(start.duration(to: clock.now)) / 1e6
        let n = plan.streamMessages
        let bytes = (0..<n).reduce(0) { $0 + WireBenchWorkload.streamOutput(index: $1, count: n).encodedSize() }
        let request = WireBenchWorkload.request(promptTokens: WireBenchWorkload.smallPromptTokens, maxTokens: n)
        return WireBenchResult(
            impl: "apus", workload: .stream, msgsPerS: Double(n) / seconds, mbPerS: Double(bytes) / seconds / 1e6,
            requestBytes: request.encodedSize(), responseBytes: bytes / max(n, 1), count: n)
    }
}
