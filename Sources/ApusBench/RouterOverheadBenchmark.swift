import RequestRouting
import ServingCore
import Wire

/// Measures what the router adds to a request: Generate time to first output straight to an engine-core
/// versus through a router in front of it (issue 6 "Done when": p50 ≤ 0.3 ms, p99 ≤ 1 ms on loopback).
///
/// Sequential requests with `max_tokens` 1 and a small prompt, alternating direct and routed so both paths see
/// the same machine noise; the first `warmup` of each are not counted. Run it in release against
/// `apus runner --fake` + `apus engine-core` + `apus router --engine <that engine-core>`.
public enum RouterOverheadBenchmark {
    /// Latency percentiles of one path, in milliseconds.
    public struct Summary: Sendable {
        public var p50: Double
        public var p99: Double
        public var mean: Double
    }

    public struct Result: Sendable {
        public var direct: Summary
        public var routed: Summary
        public var requests: Int

        /// Human-readable lines: both paths and the difference.
        public var lines: [String] {
            [
                "router overhead: \(requests) sequential Generate calls per path, max_tokens 1, time to first output",
                "direct to engine-core: p50 \(Self.ms(direct.p50))  p99 \(Self.ms(direct.p99))  mean \(Self.ms(direct.mean))",
                "through the router:    p50 \(Self.ms(routed.p50))  p99 \(Self.ms(routed.p99))  mean \(Self.ms(routed.mean))",
                "added by the router:   p50 \(Self.ms(routed.p50 - direct.p50))  p99 \(Self.ms(routed.p99 - direct.p99))",
            ]
        }

        static func ms(_ value: Double) -> String {
            let rounded = (value * 1_000).rounded() / 1_000
            return "\(rounded) ms"
        }
    }

    /// Runs the measurement; `engine` and `router` are `host:port`.
    public static func run(
        engine: String, router: String, requests: Int = 2_000, warmup: Int = 200, authToken: String = ""
    ) async throws -> Result {
        guard let engineAddress = EngineAddress(engine), let routerAddress = EngineAddress(router) else {
            throw RPCError(.invalidArgument, "expected HOST:PORT for the engine and the router")
        }
        var configuration = RPCClient.Configuration(service: "bench")
        configuration.authToken = authToken
        let direct = RPCClient(host: engineAddress.host, port: engineAddress.port, configuration: configuration)
        let routed = RPCClient(host: routerAddress.host, port: routerAddress.port, configuration: configuration)
        defer {
            Task {
                await direct.close()
                await routed.close()
            }
        }
        var directTimes: [Double] = []
        var routedTimes: [Double] = []
        let tag = RPCServer.randomInstanceID().prefix(6)
        for index in 0..<(warmup + requests) {
            let request = makeRequest(id: "overhead-\(tag)-\(index)", index: index)
            var viaEngine = request
            viaEngine.requestID += "-d"
            var viaRouter = request
            viaRouter.requestID += "-r"
            let first = try await timeToFirstOutput(direct, viaEngine)
            let second = try await timeToFirstOutput(routed, viaRouter)
            guard index >= warmup else { continue }
            directTimes.append(first)
            routedTimes.append(second)
        }
        return Result(direct: summarize(directTimes), routed: summarize(routedTimes), requests: requests)
    }

    static func makeRequest(id: String, index: Int) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.maxTokens = 1
        params.temperature = 0
        let prompt = (0..<8).map { TokenID(($0 * 31 + index) % 400 + 10) }
        return ApusV1.GenerateRequest(requestID: id, promptTokenIDs: prompt, samplingParams: params)
    }

    /// Milliseconds from sending the request to its first output; drains the stream to its end.
    static func timeToFirstOutput(_ client: RPCClient, _ request: ApusV1.GenerateRequest) async throws -> Double {
        let start = ContinuousClock.now
        var first: Duration?
        for try await _ in try await client.serverStream(
            RouterService.Method.generate, request, as: ApusV1.GenerateOutput.self)
        where first == nil {
            first = start.duration(to: .now)
        }
        guard let first else { throw RPCError(.internal, "request \(request.requestID) produced no output") }
        let c = first.components
        return Double(c.seconds) * 1e3 + Double(c.attoseconds) / 1e15
    }

    static func summarize(_ samples: [Double]) -> Summary {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return Summary(p50: 0, p99: 0, mean: 0) }
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return Summary(p50: percentile(0.5), p99: percentile(0.99), mean: sorted.reduce(0, +) / Double(sorted.count))
    }
}
