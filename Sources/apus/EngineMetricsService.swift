import Engine
import Prometheus
import ServiceLifecycle
import Wire

/// Publishes the engine's load with vLLM's metric names (docs/architecture.md §3.8), at most every 100 ms.
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
        let running = registry.makeGauge(
            descriptor: .exact("vllm:num_requests_running", help: "Number of requests in model execution batches."),
            labels: labels)
        let waiting = registry.makeGauge(
            descriptor: .exact("vllm:num_requests_waiting", help: "Number of requests waiting to be processed."),
            labels: labels)
        let usage = registry.makeGauge(
            descriptor: .exact("vllm:kv_cache_usage_perc", help: "KV-cache usage. 1 means 100 percent usage."),
            labels: labels)
        let freeBlocks = registry.makeGauge(
            descriptor: .exact("apus:engine_free_blocks", help: "KV-cache blocks free or evictable."), labels: labels)
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: .exact(name, help: help), labels: labels)
        }
        let counters: [(Counter, @Sendable (EngineState.Load) -> Int)] = [
            (counter("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens."),
             { $0.prefixCacheQueries }),
            (counter("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens."),
             { $0.prefixCacheHits }),
            (counter("vllm:num_preemptions_total", "Cumulative number of preemption from the engine."),
             { $0.numPreemptions }),
            (counter("apus:engine_steps_total", "Engine steps run."), { $0.stepCounter }),
            (counter("apus:engine_aborted_requests_total", "Requests aborted."), { $0.numAbortsTotal }),
            (counter("apus:engine_finished_requests_total", "Requests finished."), { $0.numRequestsFinished }),
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
