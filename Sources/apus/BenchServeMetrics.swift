import Foundation

/// vLLM's `bench serve` summary of a run: throughputs over the wall time, and TTFT / TPOT / ITL / E2E latency
/// statistics in milliseconds (percentiles interpolated linearly, as numpy does). TPOT of a request is
/// (latency − TTFT) / (output tokens − 1), for requests with more than one output token.
struct BenchServeMetrics {
    var completed = 0
    var failed = 0
    var durationS = 0.0
    var totalInputTokens = 0
    var totalOutputTokens = 0
    var ttftMS: [Double] = []
    var tpotMS: [Double] = []
    var itlMS: [Double] = []
    var e2elMS: [Double] = []
    var firstError: String?
    /// Failures that reached the client before any token (an HTTP error, or an error event first): lost requests,
    /// where the server had every chance to retry. The rest failed mid-stream.
    var failedBeforeFirstToken = 0

    init(outcomes: [BenchServeOutcome], durationS: Double) {
        self.durationS = durationS
        for o in outcomes {
            guard o.success else {
                failed += 1
                if o.chunksBeforeFailure == 0 { failedBeforeFirstToken += 1 }
                firstError = firstError ?? o.error
                continue
            }
            completed += 1
            totalInputTokens += o.promptTokens
            totalOutputTokens += o.outputTokens
            ttftMS.append(o.ttft * 1000)
            e2elMS.append(o.latency * 1000)
            itlMS.append(contentsOf: o.itl.map { $0 * 1000 })
            if o.outputTokens > 1 { tpotMS.append((o.latency - o.ttft) / Double(o.outputTokens - 1) * 1000) }
        }
    }

    var requestThroughput: Double { durationS > 0 ? Double(completed) / durationS : 0 }
    var outputThroughput: Double { durationS > 0 ? Double(totalOutputTokens) / durationS : 0 }
    var totalTokenThroughput: Double { durationS > 0 ? Double(totalInputTokens + totalOutputTokens) / durationS : 0 }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    static func std(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)).squareRoot()
    }

    /// numpy.percentile(xs, p) with linear interpolation; 0 for no samples.
    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let sorted = xs.sorted()
        let rank = p / 100 * Double(sorted.count - 1)
        let lo = Int(rank.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - Double(lo))
    }

    /// vLLM's result keys (plus a few run parameters), numbers rounded to 0.001.
    func jsonLine(extra: [String: Any]) -> String {
        var object = extra
        object["completed"] = completed
        object["failed"] = failed
        object["failed_before_first_token"] = failedBeforeFirstToken
        object["duration"] = round3(durationS)
        object["total_input_tokens"] = totalInputTokens
        object["total_output_tokens"] = totalOutputTokens
        object["request_throughput"] = round3(requestThroughput)
        object["output_throughput"] = round3(outputThroughput)
        object["total_token_throughput"] = round3(totalTokenThroughput)
        for (name, xs) in [("ttft", ttftMS), ("tpot", tpotMS), ("itl", itlMS), ("e2el", e2elMS)] {
            object["mean_\(name)_ms"] = round3(Self.mean(xs))
            object["median_\(name)_ms"] = round3(Self.percentile(xs, 50))
            object["std_\(name)_ms"] = round3(Self.std(xs))
            object["p99_\(name)_ms"] = round3(Self.percentile(xs, 99))
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    /// The report in vLLM's layout.
    func humanLines(header: String) -> [String] {
        func row(_ label: String, _ value: String) -> String {
            label.padding(toLength: 41, withPad: " ", startingAt: 0) + value
        }
        func f(_ x: Double) -> String { String(format: "%.2f", x) }
        func section(_ title: String) -> String {
            let side = max(0, (50 - title.count) / 2)
            let left = String(repeating: "-", count: side)
            return left + title + String(repeating: "-", count: max(0, 50 - side - title.count))
        }
        var lines = [
            "============ Serving Benchmark Result ============", header,
            row("Successful requests:", "\(completed)"),
            row("Failed requests:", "\(failed)"),
            row("Benchmark duration (s):", f(durationS)),
            row("Total input tokens:", "\(totalInputTokens)"),
            row("Total generated tokens:", "\(totalOutputTokens)"),
            row("Request throughput (req/s):", f(requestThroughput)),
            row("Output token throughput (tok/s):", f(outputThroughput)),
            row("Total Token throughput (tok/s):", f(totalTokenThroughput)),
        ]
        for (title, short, xs) in [
            ("Time to First Token", "TTFT", ttftMS), ("Time per Output Token (excl. 1st token)", "TPOT", tpotMS),
            ("Inter-token Latency", "ITL", itlMS), ("End-to-end Latency", "E2EL", e2elMS),
        ] {
            lines.append(section(title))
            lines.append(row("Mean \(short) (ms):", f(Self.mean(xs))))
            lines.append(row("Median \(short) (ms):", f(Self.percentile(xs, 50))))
            lines.append(row("P99 \(short) (ms):", f(Self.percentile(xs, 99))))
        }
        lines.append(String(repeating: "=", count: 50))
        if failed > 0 {
            lines.append("failed before the first token: \(failedBeforeFirstToken), mid-stream: \(failed - failedBeforeFirstToken)")
        }
        if let firstError { lines.append("first failure: \(firstError)") }
        return lines
    }
}
