import ApusBench
import Foundation
import Wire

/// Picks each side's best round and lays the two side by side.
enum WireBenchReport {
    /// Per workload, the round with the lowest p50 (unary) or the highest message rate (stream).
    static func best(_ rounds: [[WireBenchResult]]) -> [WireBenchResult] {
        WireBenchWorkload.allCases.compactMap { workload in
            let candidates = rounds.flatMap { $0 }.filter { $0.workload == workload }
            if workload == .stream {
                return candidates.max { ($0.msgsPerS ?? 0) < ($1.msgsPerS ?? 0) }
            }
            return candidates.min { ($0.p50US ?? .infinity) < ($1.p50US ?? .infinity) }
        }
    }

    static func humanLines(apus: [WireBenchResult], grpc: [WireBenchResult], plan: WireBenchPlan, rounds: Int)
        -> [String]
    {
        var lines = [
            "wire: 127.0.0.1, one connection, server and client in one process; \(plan.warmup) warm-up + "
                + "\(plan.iterations) timed sequential unary calls; one stream of \(plan.streamMessages) messages"
                + (rounds > 1 ? "; best of \(rounds) alternating rounds" : ""),
            pad("workload", 16) + pad("bytes req/resp", 16) + pad("apus", 34) + pad("grpc-swift", 34) + "apus ÷ grpc",
        ]
        var unaryRatios: [Double] = []
        var streamRatio: Double?
        for a in apus {
            let g = grpc.first { $0.workload == a.workload }
            let ratio: String
            if a.workload == .stream {
                if let g, let ga = a.msgsPerS, let gg = g.msgsPerS, gg > 0 {
                    streamRatio = ga / gg
                    ratio = String(format: "%.2f× throughput", ga / gg)
                } else { ratio = "-" }
            } else if let g, let pa = a.p50US, let pg = g.p50US, pg > 0 {
                unaryRatios.append(pa / pg)
                ratio = String(format: "%.2f× p50 (p99 %.2f×)", pa / pg, (a.p99US ?? 0) / max(g.p99US ?? 1, 1e-9))
            } else { ratio = "-" }
            lines.append(pad(a.workload.rawValue, 16) + pad("\(a.requestBytes)/\(a.responseBytes)", 16)
                         + pad(cell(a), 34) + pad(g.map(cell) ?? "(not run)", 34) + ratio)
        }
        if !grpc.isEmpty {
            let unaryMet = !unaryRatios.isEmpty && unaryRatios.allSatisfy { $0 <= 0.5 }
            let streamMet = (streamRatio ?? 0) >= 2
            lines.append("target: unary p50 ≤ 0.5× grpc-swift: \(unaryMet ? "met" : "MISSED"); "
                         + "stream throughput ≥ 2× grpc-swift: \(streamMet ? "met" : "MISSED")")
        }
        return lines
    }

    static func cell(_ r: WireBenchResult) -> String {
        if r.workload == .stream {
            return String(format: "%.0f msg/s, %.1f MB/s", r.msgsPerS ?? 0, r.mbPerS ?? 0)
        }
        return String(format: "p50 %.1f µs, p99 %.1f µs", r.p50US ?? 0, r.p99US ?? 0)
    }

    static func pad(_ s: String, _ width: Int) -> String {
        let n = s.count
        return n >= width ? s + " " : s + String(repeating: " ", count: width - n)
    }
}
