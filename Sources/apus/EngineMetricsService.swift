import Engine
import Prometheus
import ServiceLifecycle

/// Publishes the engine's load with vLLM's metric names (reference §13), once per step at most every 100 ms.
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
        let queries = registry.makeGauge(name: "vllm:prefix_cache_queries", labels: labels)
        let hits = registry.makeGauge(name: "vllm:prefix_cache_hits", labels: labels)
        let preemptions = registry.makeGauge(name: "vllm:num_preemptions", labels: labels)
        let steps = registry.makeGauge(name: "apus:engine_steps", labels: labels)
        let aborts = registry.makeGauge(name: "apus:engine_aborted_requests", labels: labels)
        let finished = registry.makeGauge(name: "apus:engine_finished_requests", labels: labels)
        let freeBlocks = registry.makeGauge(name: "apus:engine_free_blocks", labels: labels)
        await cancelWhenGracefulShutdown {
            for await _ in engine.state.stepTicks() {
                let l = engine.state.load
                running.set(Double(l.numRunning))
                waiting.set(Double(l.numWaiting))
                usage.set(l.kvCacheUsage)
                queries.set(Double(l.prefixCacheQueries))
                hits.set(Double(l.prefixCacheHits))
                preemptions.set(Double(l.numPreemptions))
                steps.set(Double(l.stepCounter))
                aborts.set(Double(l.numAbortsTotal))
                finished.set(Double(l.numRequestsFinished))
                freeBlocks.set(Double(l.numFreeBlocks))
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
