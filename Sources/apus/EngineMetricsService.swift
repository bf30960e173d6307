import Engine
import Prometheus
import ServiceLifecycle

/// Publishes the engine's load with vLLM's metric names (reference §13), at most every 100 ms.
///
/// Gauges mirror the current state; counters (`*_total`, as vLLM exposes them) advance by what changed since
/// the last report.
struct EngineMetricsService: Service {
    let engine: EngineCore
    let registry: PrometheusCollectorRegistry
    let modelName: String
    let engineID: String

    func run() async throws {
        let labels = [("model_name", modelName), ("engine", engineID)]
        let running = registry.makeGauge(name: "vllm:num_requests_running", labels: labels)
        let waiting = registry.makeGauge(name: "vllm:num_requests_waiting", labels: labels)
        let usage = registry.makeGauge(name: "vllm:kv_cache_usage_perc", labels: labels)
        let freeBlocks = registry.makeGauge(name: "apus:engine_free_blocks", labels: labels)
        let counters: [(Counter, @Sendable (EngineState.Load) -> Int)] = [
            (registry.makeCounter(name: "vllm:prefix_cache_queries_total", labels: labels), { $0.prefixCacheQueries }),
            (registry.makeCounter(name: "vllm:prefix_cache_hits_total", labels: labels), { $0.prefixCacheHits }),
            (registry.makeCounter(name: "vllm:num_preemptions_total", labels: labels), { $0.numPreemptions }),
            (registry.makeCounter(name: "apus:engine_steps_total", labels: labels), { $0.stepCounter }),
            (registry.makeCounter(name: "apus:engine_aborted_requests_total", labels: labels), { $0.numAbortsTotal }),
            (registry.makeCounter(name: "apus:engine_finished_requests_total", labels: labels), { $0.numRequestsFinished }),
        ]
        await cancelWhenGracefulShutdown {
            var last = EngineState.Load()
            for await _ in engine.state.stepTicks() {
                let l = engine.state.load
                running.set(Double(l.numRunning))
                waiting.set(Double(l.numWaiting))
                usage.set(l.kvCacheUsage)
                freeBlocks.set(Double(l.numFreeBlocks))
                for (counter, value) in counters where value(l) > value(last) {
                    counter.increment(by: Int64(value(l) - value(last)))
                }
                last = l
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
