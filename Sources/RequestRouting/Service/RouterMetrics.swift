import Prometheus
import Synchronization

/// The router's Prometheus series: requests, retries, failures, and per engine its in-flight count, readiness
/// and ejections (reference/router-anchors.md P4). Names: `apus:router_*`.
final class RouterMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let requests: Counter
    let retries: Counter
    let failed: Counter
    private let perEngine = Mutex<[EngineID: (inFlight: Gauge, ready: Gauge)]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        requests = registry.makeCounter(descriptor: Self.name("requests", "total", "Generate requests routed"))
        retries = registry.makeCounter(
            descriptor: Self.name("retries", "total", "Generate requests re-sent to another engine before any output"))
        failed = registry.makeCounter(
            descriptor: Self.name("failed_requests", "total", "Generate requests that ended with an error"))
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "apus:router", metricName: metric, unitName: unit, helpText: help)
    }

    /// Sets the per-engine gauges from `ListBackends`' view.
    func update(_ backends: [BackendInfo]) {
        for backend in backends {
            let gauges = perEngine.withLock { table in
                if let existing = table[backend.id] { return existing }
                let labels = [("engine", backend.id.rawValue)]
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
            labels: [("engine", id.rawValue), ("reason", reason.rawValue)]
        ).increment()
    }
}
