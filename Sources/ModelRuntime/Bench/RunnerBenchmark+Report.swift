import Foundation

extension RunnerBenchmark {
    public static func humanLines(_ r: Result) -> [String] {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        var lines = [
            "sgemm \(r.sgemmSize)³: \(f(r.sgemmGFLOPS)) GFLOP/s; memory read bandwidth: "
                + "\(f(r.memoryBandwidthGBs)) GB/s (BLAS threads \(r.blasThreads))",
            "weights: \(r.weightsBytes / 1_000_000) MB "
                + "(\(r.matmulWeightsBytes / 1_000_000) MB streamed per decode step)",
        ]
        for p in r.phases {
            lines.append(
                "\(p.phase) batch \(p.batch): \(f(p.tokensPerSecond)) tokens/s, \(f(p.gflops)) GFLOP/s, "
                    + "step \(f(p.stepSeconds * 1000, 2)) ms (thread CPU \(f(p.stepCPUSeconds * 1000, 2)) ms)")
        }
        let byCPU = r.blasThreads == 1
        if let d32 = r.phases.first(where: { $0.phase == "decode" && $0.batch == 32 }) {
            let share = d32.gflops / r.sgemmGFLOPS
            var line =
                "target: batch-32 decode at \(f(share * 100))% of sgemm (≥ 60%): \(share >= 0.6 ? "met" : "MISSED")"
            if byCPU {
                let cpuShare = (d32.gflops * d32.stepSeconds / d32.stepCPUSeconds) / r.sgemmGFLOPSCPU
                line += "; by thread CPU time \(f(cpuShare * 100))%"
            }
            lines.append(line)
        }
        if let d1 = r.phases.first(where: { $0.phase == "decode" && $0.batch == 1 }) {
            let floor = Double(r.matmulWeightsBytes) / (r.memoryBandwidthGBs * 1e9)
            let ratio = d1.stepSeconds / floor
            var line =
                "target: batch-1 decode \(f(d1.stepSeconds * 1000, 2)) ms = \(f(ratio, 2))× the "
                + "\(f(floor * 1000, 2)) ms weight read (≤ 1.3×): \(ratio <= 1.3 ? "met" : "MISSED")"
            if byCPU {
                let cpuFloor = Double(r.matmulWeightsBytes) / (r.memoryBandwidthGBsCPU * 1e9)
                line += "; by thread CPU time \(f(d1.stepCPUSeconds / cpuFloor, 2))×"
            }
            lines.append(line)
        }
        return lines
    }

    /// `{"phase", "batch", "tokens_per_s", "gflops"}` per phase, then
    /// `{"sgemm_gflops", "mem_bw_gb_s", "weights_bytes"}` (plus the thread-CPU-time figures).
    public static func jsonLines(_ r: Result) -> [String] {
        var lines = r.phases.map { p in
            "{\"phase\": \"\(p.phase)\", \"batch\": \(p.batch), \"tokens_per_s\": \(p.tokensPerSecond), "
                + "\"gflops\": \(p.gflops), \"step_s\": \(p.stepSeconds), \"step_cpu_s\": \(p.stepCPUSeconds)}"
        }
        lines.append(
            "{\"sgemm_gflops\": \(r.sgemmGFLOPS), \"mem_bw_gb_s\": \(r.memoryBandwidthGBs), "
                + "\"weights_bytes\": \(r.weightsBytes), \"sgemm_gflops_cpu\": \(r.sgemmGFLOPSCPU), "
                + "\"mem_bw_gb_s_cpu\": \(r.memoryBandwidthGBsCPU), \"blas_threads\": \(r.blasThreads)}")
        return lines
    }
}
