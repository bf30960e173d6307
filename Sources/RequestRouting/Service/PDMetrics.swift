import Prometheus

/// The router's series for disaggregated prefill/decode, beside each pool's own `apus:router_*{pool=…}`
/// (docs/disaggregation.md §4).
final class PDMetrics: Sendable {
    /// Generate requests the router took in PD mode.
    let requests: Counter
    /// How long prefill legs took, from dispatch to the producer's final output (or failure).
    let prefillTime: DurationHistogram
    /// Requests sent to the decode pool without KV transfer params, by `DecodeOnlyReason`.
    private let decodeOnly: [DecodeOnlyReason: Counter]
    /// `KVTransferControl(RELEASE)` calls the router sent to producers for abandoned decode legs.
    let releases: Counter

    /// Buckets of the prefill-leg histogram: from a short prompt on an idle producer to a long queue.
    static let prefillBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160]

    init(registry: PrometheusCollectorRegistry) {
        requests = registry.makeCounter(
            descriptor: RouterMetrics.name("pd_requests", "total", "Generate requests routed in PD mode"))
        prefillTime = registry.makeDurationHistogram(
            descriptor: RouterMetrics.name(
                "pd_prefill_leg", "seconds", "Time from dispatching a prefill leg to the producer's final output"),
            buckets: Self.prefillBuckets.map { .microseconds(Int64($0 * 1e6)) })
        var decodeOnly: [DecodeOnlyReason: Counter] = [:]
        for reason in DecodeOnlyReason.allCases {
            decodeOnly[reason] = registry.makeCounter(
                descriptor: RouterMetrics.name(
                    "pd_decode_only", "total",
                    "PD requests sent to a decode engine without KV params (it computes the prompt), by reason"),
                labels: [("reason", reason.rawValue)])
        }
        self.decodeOnly = decodeOnly
        releases = registry.makeCounter(
            descriptor: RouterMetrics.name(
                "pd_releases", "total", "KVTransferControl RELEASE calls sent to producers for abandoned decode legs"))
    }

    func countDecodeOnly(_ reason: DecodeOnlyReason) {
        decodeOnly[reason]?.increment()
    }
}
