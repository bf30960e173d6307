import Prometheus
import Synchronization

/// The router's Prometheus series: requests, retries, failures, retry-budget refusals, panic dispatches,
/// skipped ejections, LoRA affinity hits and misses, and per engine its in-flight count, readiness and
/// ejections. Names: `apus:router_*` (docs/architecture.md §3.8). In PD mode every series of a pool carries
/// `pool="prefill"` or `pool="decode"` (docs/disaggregation.md §4).
final class RouterMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// `[("pool", name)]` in PD mode, else none: added to every series.
    private let poolLabels: [(String, String)]
    let requests: Counter
    let retries: Counter
    let failed: Counter
    let retriesBudgetExhausted: Counter
    let panicDispatches: Counter
    let ejectionsSkipped: Counter
    let loraAffinityHits: Counter
    let loraAffinityMisses: Counter
    private let perEngine = Mutex<[EngineID: (inFlight: Gauge, ready: Gauge)]>([:])
    private let recorded = Mutex(RouterStats())

    /// `pool` names the pool in PD mode (nil: the one pool of an ordinary router).
    init(registry: PrometheusCollectorRegistry, pool: String? = nil) {
        self.registry = registry
        let labels = pool.map { [("pool", $0)] } ?? []
        self.poolLabels = labels
        func counter(_ metric: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.name(metric, "total", help), labels: labels)
        }
        requests = counter("requests", "Generate requests routed")
        retries = counter("retries", "Generate requests re-sent to another engine before any output")
        failed = counter("failed_requests", "Generate requests that ended with an error")
        retriesBudgetExhausted = counter(
            "retries_budget_exhausted", "Retries refused by the retry budget; those requests failed")
        panicDispatches = counter(
            "panic_dispatches", "Attempts sent to passively ejected engines because none was ready")
        ejectionsSkipped = counter(
            "ejections_skipped", "Passive ejections skipped because the max ejection percent was reached")
        loraAffinityHits = counter(
            "lora_affinity_hits", "Attempts with a LoRA adapter sent to an engine that held the adapter")
        loraAffinityMisses = counter(
            "lora_affinity_misses", "Attempts with a LoRA adapter sent to an engine that must load it")
    }

    /// Brings the core's counters into the series: adds what grew since the highest values recorded, so
    /// concurrent callers with snapshots of different ages never count anything twice.
    func record(_ stats: RouterStats) {
        let deltas = recorded.withLock { last -> [Int] in
            let grown = [
                stats.retriesBudgetExhausted - last.retriesBudgetExhausted,
                stats.panicDispatches - last.panicDispatches,
                stats.ejectionsSkipped - last.ejectionsSkipped,
                stats.loraAffinityHits - last.loraAffinityHits,
                stats.loraAffinityMisses - last.loraAffinityMisses,
            ]
            last.retriesBudgetExhausted = max(last.retriesBudgetExhausted, stats.retriesBudgetExhausted)
            last.panicDispatches = max(last.panicDispatches, stats.panicDispatches)
            last.ejectionsSkipped = max(last.ejectionsSkipped, stats.ejectionsSkipped)
            last.loraAffinityHits = max(last.loraAffinityHits, stats.loraAffinityHits)
            last.loraAffinityMisses = max(last.loraAffinityMisses, stats.loraAffinityMisses)
            return grown
        }
        let counters = [retriesBudgetExhausted, panicDispatches, ejectionsSkipped, loraAffinityHits, loraAffinityMisses]
        for (counter, delta) in zip(counters, deltas) where delta > 0 {
            counter.increment(by: Int64(delta))
        }
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "apus:router", metricName: metric, unitName: unit, helpText: help)
    }

    /// Sets the per-engine gauges from `ListBackends`' view.
    func update(_ backends: [BackendInfo]) {
        for backend in backends {
            let gauges = perEngine.withLock { table in
                if let existing = table[backend.id] { return existing }
                let labels = [("engine", backend.id.rawValue)] + poolLabels
                let made = (
                    inFlight: registry.makeGauge(
                        descriptor: Self.name("engine_in_flight", "", "Requests the router has on the engine"),
                        labels: labels),
                    ready: registry.makeGauge(
                        descriptor: Self.name("engine_ready", "", "1 while the engine takes new requests"),
                        labels: labels)
                )
                table[backend.id] = made
                return made
            }
            gauges.inFlight.set(to: Double(backend.inFlight))
            gauges.ready.set(to: backend.state == .ready ? 1 : 0)
        }
    }

    /// Zeroes a removed engine's gauges.
    func forget(_ id: EngineID) {
        guard let gauges = perEngine.withLock({ $0.removeValue(forKey: id) }) else { return }
        gauges.inFlight.set(to: 0)
        gauges.ready.set(to: 0)
    }

    /// Counts an ejection of `id` for `reason`.
    func ejected(_ id: EngineID, reason: EjectReason) {
        registry.makeCounter(
            descriptor: Self.name("engine_ejections", "total", "Times an engine stopped taking new requests"),
            labels: [("engine", id.rawValue), ("reason", reason.rawValue)] + poolLabels
        ).increment()
    }
}
