import Engine
import Foundation
import Logging
import Prometheus
import Scheduling
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
    let logger: Logger
    /// How often the speculative-decoding summary is logged (when drafts were verified since the last one).
    static let specDecodingLogInterval: Duration = .seconds(10)

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
            (counter("vllm:spec_decode_num_drafts_total", "Number of spec decoding drafts."),
             { $0.specDecoding.numDrafts }),
            (counter("vllm:spec_decode_num_draft_tokens_total", "Number of draft tokens."),
             { $0.specDecoding.numDraftTokens }),
            (counter("vllm:spec_decode_num_accepted_tokens_total", "Number of accepted tokens."),
             { $0.specDecoding.numAcceptedTokens }),
            // Disaggregated prefill/decode (docs/disaggregation.md §6).
            (counter("apus:kv_transfer_loads_total", "KV pulls that landed (consumer)."),
             { $0.kvTransfer.loadsSucceeded }),
            (counter(
                "apus:kv_transfer_load_failures_total",
                "KV pulls that failed; their requests computed the prompt themselves (consumer)."),
             { $0.kvTransfer.loadsFailed }),
            (counter(
                "apus:kv_transfer_loads_skipped_total",
                "Consumer requests that needed no pull: the local prefix cache covered the producer's blocks."),
             { $0.kvTransfer.loadsSkipped }),
            (counter("apus:kv_transfer_bytes_total", "KV bytes pulled (consumer)."), { $0.kvTransfer.bytesLoaded }),
            (counter("apus:kv_transfer_blocks_total", "KV blocks pulled (consumer)."), { $0.kvTransfer.blocksLoaded }),
            (counter(
                "apus:kv_transfer_holds_released_total", "Held prefills released by their consumer or the router (producer)."),
             { $0.kvTransfer.holdsReleased }),
            (counter(
                "apus:kv_transfer_holds_timed_out_total",
                "Held prefills freed because no consumer released or kept them alive in time (producer)."),
             { $0.kvTransfer.holdsTimedOut }),
        ]
        let held = registry.makeGauge(
            descriptor: .exact("apus:kv_transfer_held_requests", help: "Prefills whose KV blocks are held for a consumer."),
            labels: labels)
        let loading = registry.makeGauge(
            descriptor: .exact("apus:kv_transfer_loading_requests", help: "Requests waiting for their KV pull."),
            labels: labels)
        let transferBytes = registry.makeValueHistogram(
            descriptor: .exact("apus:kv_transfer_request_bytes", help: "KV bytes pulled per request."), labels: labels,
            buckets: [65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864, 268_435_456, 1_073_741_824])
        let transferBlocks = registry.makeValueHistogram(
            descriptor: .exact("apus:kv_transfer_request_blocks", help: "KV blocks pulled per request."),
            labels: labels, buckets: [1, 4, 16, 64, 256, 1_024, 4_096])
        let transferSeconds = registry.makeDurationHistogram(
            descriptor: .exact("apus:kv_transfer_request_seconds", help: "Time of one request's KV pull."),
            labels: labels,
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map {
                .microseconds(Int64($0 * 1e6))
            })

        await cancelWhenGracefulShutdown {
            var last = EngineState.Load()
            // One counter per draft position, created as positions first appear.
            var perPosition: [Counter] = []
            let clock = ContinuousClock()
            var lastLog = clock.now
            var loggedStats = SpecDecodingStats()
            var loraInfo: (labels: [String], gauge: Gauge)?
            for await _ in engine.state.stepTicks() {
                let l = engine.state.load
                running.set(Double(l.numRunning))
                waiting.set(Double(l.numWaiting))
                usage.set(l.kvCacheUsage)
                freeBlocks.set(Double(l.numFreeBlocks))
                held.set(Double(l.kvTransfer.numHeld))
                loading.set(Double(l.kvTransfer.numLoading))
                for s in engine.state.takeKVLoads() {
                    transferBytes.record(Double(s.bytes))
                    transferBlocks.record(Double(s.blocks))
                    transferSeconds.recordNanoseconds(Int64(s.seconds * 1e9))
                }
                for (counter, value) in counters where value(l) > value(last) {
                    counter.increment(by: Int64(value(l) - value(last)))
                }
                let now = l.specDecoding.numAcceptedTokensPerPosition
                let before = last.specDecoding.numAcceptedTokensPerPosition
                while perPosition.count < now.count {
                    perPosition.append(
                        registry.makeCounter(
                            descriptor: .exact(
                                "vllm:spec_decode_num_accepted_tokens_per_pos_total",
                                help: "Accepted tokens per draft position."),
                            labels: labels + [("position", "\(perPosition.count)")]))
                }
                for j in now.indices where now[j] > (j < before.count ? before[j] : 0) {
                    perPosition[j].increment(by: Int64(now[j] - (j < before.count ? before[j] : 0)))
                }
                if l.specDecoding.numDrafts > loggedStats.numDrafts
                    && clock.now - lastLog >= Self.specDecodingLogInterval
                {
                    logger.info("\(Self.specDecodingSummary(since: loggedStats, now: l.specDecoding))")
                    loggedStats = l.specDecoding
                    lastLog = clock.now
                }
                if l.maxLoras > 0 { loraInfo = publishLoRAInfo(l, labels: labels, previous: loraInfo) }
                last = l
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// vLLM's `vllm:lora_requests_info`: one gauge whose labels name the running and waiting adapters and whose value
    /// is the time of the last update (unix seconds). A new label set replaces the previous gauge, so the exposition
    /// has one line. The vLLM production-stack router reads it to route by adapter.
    func publishLoRAInfo(
        _ l: EngineState.Load, labels: [(String, String)], previous: (labels: [String], gauge: Gauge)?
    ) -> (labels: [String], gauge: Gauge) {
        let values = ["\(l.maxLoras)", l.waitingLoRAs.joined(separator: ","), l.runningLoRAs.joined(separator: ",")]
        var current = previous
        if previous?.labels != values {
            if let previous { registry.unregisterGauge(previous.gauge) }
            let gauge = registry.makeGauge(
                descriptor: .exact("vllm:lora_requests_info", help: "Running stats on lora requests."),
                labels: labels
                    + zip(["max_lora", "waiting_lora_adapters", "running_lora_adapters"], values).map { ($0, $1) })
            current = (values, gauge)
        }
        current!.gauge.set(Date().timeIntervalSince1970)
        return current!
    }

    /// vLLM's periodic spec-decode line, over the drafts verified since the last one.
    static func specDecodingSummary(since a: SpecDecodingStats, now b: SpecDecodingStats) -> String {
        let drafts = b.numDrafts - a.numDrafts
        let drafted = b.numDraftTokens - a.numDraftTokens
        let accepted = b.numAcceptedTokens - a.numAcceptedTokens
        let perPosition = b.numAcceptedTokensPerPosition.indices.map { j in
            let before = j < a.numAcceptedTokensPerPosition.count ? a.numAcceptedTokensPerPosition[j] : 0
            let n = b.numAcceptedTokensPerPosition[j] - before
            return String(format: "%.3f", drafts == 0 ? 0 : Double(n) / Double(drafts))
        }
        return String(
            format: "SpecDecoding metrics: Mean acceptance length: %.2f, Accepted: %d tokens, Drafted: %d tokens, "
                + "Per-position acceptance rate: %@, Avg Draft acceptance rate: %.1f%%",
            drafts == 0 ? 0 : 1 + Double(accepted) / Double(drafts), accepted, drafted,
            perPosition.joined(separator: ", "), drafted == 0 ? 0 : 100 * Double(accepted) / Double(drafted))
    }
}
