import ModelRuntime
import Foundation

extension RunnerBenchmark {
    public static func humanLines(_ r: Result) -> [String] {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        func verdict(_ met: Bool) -> String { met ? "met" : "MISSED" }
        let overhead = r.residentBytesAfterRun - r.residentBytesBeforeLoad - r.weightsBytes - r.kvCacheBytes
        var lines = [
            "kernels: GEMM \(r.gemmKernel) (packed weights), OpenBLAS \(r.blasCore); \(r.threads) threads",
            "sgemm \(r.sgemmSize)³ on \(r.threads) threads: OpenBLAS \(f(r.sgemmBLASGFLOPS)) GFLOP/s, "
                + "Apus \(r.gemmKernel) \(f(r.sgemmKernelGFLOPS)) GFLOP/s (best \(f(r.sgemmGFLOPS))); "
                + "memory read bandwidth: \(f(r.memoryBandwidthGBs)) GB/s",
            "model: \(r.model); matmul weights \(r.weightFormat)",
            "weights: \(f(Double(r.weightsBytes) / 1e6)) MB "
                + "(\(f(Double(r.matmulWeightsBytes) / 1e6)) MB read per decode step)",
            "resident: before load \(f(Double(r.residentBytesBeforeLoad) / 1e6)) MB, after load "
                + "\(f(Double(r.residentBytesAfterLoad) / 1e6)) MB, after the run "
                + "\(f(Double(r.residentBytesAfterRun) / 1e6)) MB (KV cache \(f(Double(r.kvCacheBytes) / 1e6)) MB); "
                + "the run's growth beyond the weights and the KV cache: \(f(Double(overhead) / 1e6)) MB "
                + "(\(f(Double(overhead) / Double(max(1, r.weightsBytes)) * 100))% of the weights)",
        ]
        for p in r.phases {
            let name = p.phase == "prompt" ? "prompt \(p.promptTokens) tokens" : "\(p.phase) batch \(p.batch)"
            lines.append(
                "\(name): \(f(p.tokensPerSecond)) tokens/s, \(f(p.gflops)) GFLOP/s "
                    + "(\(f(p.gflops / r.sgemmGFLOPS * 100))% of best sgemm), step \(f(p.stepSeconds * 1000, 2)) ms")
        }
        for p in r.phases where p.phase == "prompt" {
            let share = p.gflops / r.sgemmGFLOPS
            lines.append(
                "target: prefill of a \(p.promptTokens)-token prompt at \(f(share * 100))% of best sgemm (≥ 70%): "
                    + verdict(share >= 0.7))
        }
        if let d32 = r.phases.first(where: { $0.phase == "decode" && $0.batch == 32 }) {
            let share = d32.gflops / r.sgemmGFLOPS
            lines.append(
                "target: batch-32 decode at \(f(share * 100))% of best sgemm (≥ 60%): \(verdict(share >= 0.6))")
        }
        if let d1 = r.phases.first(where: { $0.phase == "decode" && $0.batch == 1 }) {
            let ceilingRead = Double(r.matmulWeightsBytes) / (r.memoryBandwidthGBs * 1e9)
            let floor = d1.weightReadSeconds ?? ceilingRead
            let ratio = d1.stepSeconds / floor
            lines.append(
                "target: batch-1 decode \(f(d1.stepSeconds * 1000, 2)) ms = \(f(ratio, 2))× the "
                    + "\(f(floor * 1000, 2)) ms weight read timed between its steps (≤ 1.3×): \(verdict(ratio <= 1.3)); "
                    + "\(f(d1.stepSeconds / ceilingRead, 2))× the \(f(ceilingRead * 1000, 2)) ms read at the best bandwidth")
        }
        return lines
    }

    /// `{"phase", "batch", "prompt_tokens", "tokens_per_s", "gflops", "step_s"}` per phase (batch-1 decode adds
    /// "weight_read_s"), then the ceilings
    /// `{"sgemm_gflops", "sgemm_blas_gflops", "sgemm_kernel_gflops", "mem_bw_gb_s", "weights_bytes",
    /// "matmul_weights_bytes", "resident_bytes_before_load", "resident_bytes_after_load", "resident_bytes_after_run", "kv_cache_bytes",
    /// "weight_format", "threads", "gemm_kernel", "blas_core"}`.
    public static func jsonLines(_ r: Result) -> [String] {
        var lines = r.phases.map { p in
            "{\"phase\": \"\(p.phase)\", \"batch\": \(p.batch), \"prompt_tokens\": \(p.promptTokens), "
                + "\"tokens_per_s\": \(p.tokensPerSecond), \"gflops\": \(p.gflops), \"step_s\": \(p.stepSeconds)"
                + (p.weightReadSeconds.map { ", \"weight_read_s\": \($0)" } ?? "") + "}"
        }
        lines.append(
            "{\"sgemm_gflops\": \(r.sgemmGFLOPS), \"sgemm_blas_gflops\": \(r.sgemmBLASGFLOPS), "
                + "\"sgemm_kernel_gflops\": \(r.sgemmKernelGFLOPS), \"mem_bw_gb_s\": \(r.memoryBandwidthGBs), "
                + "\"weights_bytes\": \(r.weightsBytes), \"matmul_weights_bytes\": \(r.matmulWeightsBytes), "
                + "\"resident_bytes_before_load\": \(r.residentBytesBeforeLoad), "
                + "\"resident_bytes_after_load\": \(r.residentBytesAfterLoad), "
                + "\"resident_bytes_after_run\": \(r.residentBytesAfterRun), \"kv_cache_bytes\": \(r.kvCacheBytes), "
                + "\"weight_format\": \"\(r.weightFormat)\", "
                + "\"threads\": \(r.threads), "
                + "\"gemm_kernel\": \"\(r.gemmKernel)\", \"blas_core\": \"\(r.blasCore)\"}")
        return lines
    }
}
