import Scheduling
import ServingCore

/// One row of `apus bench scheduler`.
public struct SchedulerBenchmarkResult: Sendable, Hashable {
    public var requests: Int
    public var steps: Int
    public var usPerStepMean: Double
    public var usPerStepP50: Double
    public var usPerStepP99: Double
    public var stepsPerS: Double

    public init(
        requests: Int, steps: Int, usPerStepMean: Double, usPerStepP50: Double, usPerStepP99: Double, stepsPerS: Double
    ) {
        self.requests = requests
        self.steps = steps
        self.usPerStepMean = usPerStepMean
        self.usPerStepP50 = usPerStepP50
        self.usPerStepP99 = usPerStepP99
        self.stepsPerS = stepsPerS
    }

    /// `{"requests": N, "steps": S, "us_per_step_mean": …, "us_per_step_p50": …, "us_per_step_p99": …,
    /// "steps_per_s": …}`.
    public var jsonLine: String {
        func f(_ x: Double) -> String { String((x * 1000).rounded() / 1000) }
        return "{\"requests\": \(requests), \"steps\": \(steps), \"us_per_step_mean\": \(f(usPerStepMean)), "
            + "\"us_per_step_p50\": \(f(usPerStepP50)), \"us_per_step_p99\": \(f(usPerStepP99)), "
            + "\"steps_per_s\": \(f(stepsPerS))}"
    }
}

/// Measures the CPU cost of one scheduler step, `schedule()` + `updateFromOutput()`, on a fixed workload:
/// N requests with 512-token prompts (every other one shares a 256-token prefix), `max_tokens` 128,
/// `max_num_seqs` 256, `max_num_batched_tokens` 8192, block size 16, prefix caching on and enough blocks
/// for every request. All requests arrive before the first step; the fake runner (not timed) returns one
/// non-EOS token per request that finished its prefill. Runs until every request has finished.
public enum SchedulerBenchmark {
    /// Runs the workload once per count, timing with the clock it is handed.
    public static func run<C: Clock>(requestCounts: [Int], clock: C) -> [SchedulerBenchmarkResult]
    where C.Duration == Duration {
        requestCounts.map { run(requests: $0, clock: clock) }
    }

    /// Runs the workload once per count, timed with a `ContinuousClock`.
    public static func run(requestCounts: [Int]) -> [SchedulerBenchmarkResult] {
        run(requestCounts: requestCounts, clock: ContinuousClock())
    }

    /// One warm-up pass (first-touch page faults and allocator growth are not a step's cost), then the timed one.
    static func run<C: Clock>(requests n: Int, clock: C) -> SchedulerBenchmarkResult where C.Duration == Duration {
        _ = stepTimes(requests: n, clock: clock)
        let us = stepTimes(requests: n, clock: clock).map { d -> Double in
            let c = d.components
            return Double(c.seconds) * 1e6 + Double(c.attoseconds) / 1e12
        }.sorted()
        let mean = us.reduce(0, +) / Double(max(us.count, 1))
        func pct(_ p: Double) -> Double {
            us.isEmpty ? 0 : us[min(us.count - 1, Int((p * Double(us.count - 1)).rounded()))]
        }
        return SchedulerBenchmarkResult(
            requests: n, steps: us.count, usPerStepMean: mean, usPerStepP50: pct(0.5), usPerStepP99: pct(0.99),
            stepsPerS: mean > 0 ? 1e6 / mean : 0)
    }

    /// Runs the workload to completion and returns the time of every step.
    static func stepTimes<C: Clock>(requests n: Int, clock: C) -> [Duration] where C.Duration == Duration {
        let promptLen = 512
        let maxTokens = 128
        let blockSize = 16
        let config = SchedulerConfig(
            blockSize: blockSize, numGPUBlocks: n * (promptLen + maxTokens) / blockSize + 64, maxNumSeqs: 256,
            maxNumBatchedTokens: 8192, maxModelLen: 4096, enablePrefixCaching: true)
        let scheduler = try! Scheduler(config: config)
        var params = SamplingParams()
        params.maxTokens = maxTokens
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        func nextToken() -> TokenID {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return TokenID(truncatingIfNeeded: (rng >> 33) % 32_000) + 3
        }
        let sharedPrefix = (0..<256).map { _ in nextToken() }
        for i in 0..<n {
            var prompt = i % 2 == 0 ? sharedPrefix : []
            while prompt.count < promptLen { prompt.append(nextToken()) }
            try! scheduler.addRequest(
                requestID: "req-\(i)", promptTokenIDs: prompt, samplingParams: params, eosTokenID: 2)
        }
        var samples: [Duration] = []
        var reqIDs: [String] = []
        var sampled: [[TokenID]] = []
        let one: [TokenID] = [7]
        while scheduler.hasRequests {
            let start = clock.now
            let out = scheduler.schedule()
            let mid = clock.now
            reqIDs.removeAll(keepingCapacity: true)
            sampled.removeAll(keepingCapacity: true)
            for r in scheduler.scheduledRequests(stepID: out.stepID) {
                reqIDs.append(r.requestID)
                sampled.append(r.numComputedTokens >= r.numTokens ? one : [])
            }
            let result = ModelRunnerOutput(stepID: out.stepID, reqIDs: reqIDs, sampledTokenIDs: sampled)
            let mid2 = clock.now
            _ = scheduler.updateFromOutput(out, result)
            let end = clock.now
            samples.append(start.duration(to: mid) + mid2.duration(to: end))
        }
        return samples
    }
}
