import Prometheus
import ServingCore
import Wire

/// The api's per-request metrics with vLLM's names (docs/architecture.md §3.8), labelled by `model_name`.
///
/// TTFT and e2e latency run from the api's arrival time; inter-token latency is the gap between consecutive
/// outputs of one request. Every upstream request (each choice of `n`) counts as one request, as in vLLM.
public final class APIMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let ttft: DurationHistogram
    let e2e: DurationHistogram
    let itl: DurationHistogram
    let promptTokens: Counter
    let generationTokens: Counter
    let success: [FinishReason: Counter]

    static let ttftBuckets: [Double] = [
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
        160.0, 640.0, 2560.0,
    ]
    static let itlBuckets: [Double] = [
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
    ]
    static let requestBuckets: [Double] = [
        0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680,
    ]

    public init(registry: PrometheusCollectorRegistry, modelName: String) {
        self.registry = registry
        let labels = [("model_name", modelName)]
        func buckets(_ seconds: [Double]) -> [Duration] { seconds.map { .microseconds(Int64($0 * 1e6)) } }
        ttft = registry.makeDurationHistogram(
            descriptor: .exact(
                "vllm:time_to_first_token_seconds", help: "Histogram of time to first token in seconds."),
            labels: labels, buckets: buckets(Self.ttftBuckets))
        e2e = registry.makeDurationHistogram(
            descriptor: .exact(
                "vllm:e2e_request_latency_seconds", help: "Histogram of e2e request latency in seconds."),
            labels: labels, buckets: buckets(Self.requestBuckets))
        itl = registry.makeDurationHistogram(
            descriptor: .exact(
                "vllm:inter_token_latency_seconds", help: "Histogram of inter-token latency in seconds."),
            labels: labels, buckets: buckets(Self.itlBuckets))
        promptTokens = registry.makeCounter(
            descriptor: .exact("vllm:prompt_tokens_total", help: "Number of prefill tokens processed."),
            labels: labels)
        generationTokens = registry.makeCounter(
            descriptor: .exact("vllm:generation_tokens_total", help: "Number of generation tokens processed."),
            labels: labels)
        var success: [FinishReason: Counter] = [:]
        for reason in FinishReason.allCases {
            success[reason] = registry.makeCounter(
                descriptor: .exact("vllm:request_success_total", help: "Count of successfully processed requests."),
                labels: labels + [("finished_reason", reason.rawValue)])
        }
        self.success = success
    }

    /// The Prometheus text exposition of every metric of the process.
    public func exposition() -> String { registry.emitToString() }

    /// Tracks one upstream request's timing; owned by the task that reads its outputs.
    struct RequestTimer {
        let arrival: ContinuousClock.Instant
        var lastOutput: ContinuousClock.Instant?
        var generated = 0

        init(arrival: ContinuousClock.Instant) { self.arrival = arrival }

        /// Records `delta`, produced from an output that arrived at `now`.
        mutating func record(
            _ delta: ChoiceDelta, promptTokens: Int, metrics: APIMetrics, at now: ContinuousClock.Instant = .now
        ) {
            if !delta.tokenIDs.isEmpty {
                if let last = lastOutput {
                    metrics.itl.record(last.duration(to: now))
                } else {
                    metrics.ttft.record(arrival.duration(to: now))
                }
                lastOutput = now
                generated += delta.tokenIDs.count
                metrics.generationTokens.increment(by: Int64(delta.tokenIDs.count))
            }
            if let reason = delta.finishReason {
                metrics.e2e.record(arrival.duration(to: now))
                metrics.promptTokens.increment(by: Int64(promptTokens))
                metrics.success[reason]?.increment()
            }
        }
    }
}

extension APIMetrics {
    /// Metrics in a registry of their own (tests, embedding).
    public convenience init(modelName: String) {
        self.init(registry: PrometheusCollectorRegistry(), modelName: modelName)
    }
}
