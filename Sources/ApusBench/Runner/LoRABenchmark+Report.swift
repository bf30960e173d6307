import Foundation

extension LoRABenchmark {
    /// The machine a run was measured on: CPU model, cores, and the 1/5/15-minute load averages before and after.
    public struct Machine: Sendable, Equatable {
        public var cpuModel: String
        public var cores: Int
        public var loadAverage: String
        public var loadAverageAfter: String = ""

        static func read() -> Machine {
            let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
            let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
                .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) }
            let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
            return Machine(
                cpuModel: model ?? "unknown", cores: ProcessInfo.processInfo.activeProcessorCount,
                loadAverage: load.split(separator: " ").prefix(3).joined(separator: " "))
        }
    }

    public static func humanLines(_ r: Result) -> [String] {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        let o = r.options
        func line(_ m: Mode) -> String {
            "\(m.name): \(f(Double(o.batch) / m.best)) tokens/s (best step \(f(m.best * 1000, 2)) ms), "
                + "median \(f(Double(o.batch) / m.median)) tokens/s (\(f(m.median * 1000, 2)) ms) "
                + "over \(m.steps.count) steps"
        }
        return [
            "machine: \(r.machine.cpuModel), \(r.machine.cores) cores; load average before \(r.machine.loadAverage), "
                + "after \(r.machine.loadAverageAfter)",
            "model: \(r.model); matmul weights \(r.weightFormat); \(r.threads) threads",
            "batch-\(o.batch) decode, \(o.promptLength)-token prompts, \(o.decodeSteps) steps × \(o.rounds) rounds "
                + "per mode, "
                + "base and LoRA steps alternating; "
                + "LoRA: \(o.adapters) distinct rank-\(o.rank) adapters on all seven projections, request i on adapter "
                + "i mod \(o.adapters) (\(f(Double(r.adapterBytes) / 1e6)) MB f32, "
                + "loaded in \(f(r.adapterLoadSeconds, 2)) s)",
            line(r.base),
            line(r.lora),
            "LoRA / base tokens/s: \(f(r.ratio * 100))% (best steps), \(f(r.medianRatio * 100))% (medians), "
                + "\(f(r.pairedRatio * 100))% (median of paired steps); target ≥ 80% (best steps): "
                + (r.ratio >= 0.8 ? "met" : "MISSED"),
        ]
    }

    /// `{"mode", "tokens_per_s", "best_step_s", "median_step_s", "steps"}` per mode, then
    /// `{"ratio", "median_ratio", "paired_ratio", "batch", "adapters", "rank", "adapter_bytes", "model", "cpu",
    /// "cores", "load_average", "load_average_after"}`.
    public static func jsonLines(_ r: Result) -> [String] {
        let q = TraceSimulator.quoted
        let modes = [r.base, r.lora].map { m in
            "{\"mode\": \(q(m.name)), \"tokens_per_s\": \(Double(r.options.batch) / m.best), "
                + "\"best_step_s\": \(m.best), \"median_step_s\": \(m.median), \"steps\": \(m.steps.count)}"
        }
        return modes + [
            "{\"ratio\": \(r.ratio), \"median_ratio\": \(r.medianRatio), \"paired_ratio\": \(r.pairedRatio), "
                + "\"batch\": \(r.options.batch), "
                + "\"adapters\": \(r.options.adapters), \"rank\": \(r.options.rank), "
                + "\"adapter_bytes\": \(r.adapterBytes), "
                + "\"model\": \(q(r.model)), \"cpu\": \(q(r.machine.cpuModel)), \"cores\": \(r.machine.cores), "
                + "\"load_average\": \(q(r.machine.loadAverage)), \"load_average_after\": \(q(r.machine.loadAverageAfter))}"
        ]
    }
}
