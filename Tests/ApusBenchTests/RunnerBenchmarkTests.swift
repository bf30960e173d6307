import Testing

@testable import ApusBench
@testable import ModelRuntime

@Suite("Runner benchmark")
struct RunnerBenchmarkTests {
    @Test("a miniature run reports every phase and the ceilings, as text and as JSON lines")
    func miniatureRun() throws {
        let options = RunnerBenchmark.Options(
            source: .embeddedDefault, batches: [1, 32], promptLength: 4, decodeSteps: 2, prefillLengths: [40],
            sgemmSize: 64, bandwidthBytes: 1 << 20)
        let lines = try RunnerBenchmark.run(options: options)
        #expect(lines.contains { $0.hasPrefix("decode batch 32:") })
        #expect(lines.contains { $0.hasPrefix("target: batch-1 decode") })
        #expect(lines.contains { $0.hasPrefix("target: batch-32 decode") })
        #expect(lines.contains { $0.hasPrefix("target: prefill of a 40-token prompt") })
        #expect(lines.first == "kernels: GEMM \(Kernels.GEMMKernel.chosen) (packed weights), OpenBLAS \(BLASThreads.coreName); \(Kernels.cores) threads")
        let json = lines.filter { $0.hasPrefix("{") }
        #expect(json.count == 6)
        #expect(json.first?.hasPrefix("{\"phase\": \"prompt\", \"batch\": 1, \"prompt_tokens\": 40, ") == true)
        #expect(json.contains { $0.hasPrefix("{\"phase\": \"prefill\", \"batch\": 32, \"prompt_tokens\": 4, ") })
        #expect(json.contains { $0.hasPrefix("{\"phase\": \"decode\", \"batch\": 1, ") && $0.contains("\"weight_read_s\": ") })
        #expect(!json.contains { $0.hasPrefix("{\"phase\": \"decode\", \"batch\": 32, ") && $0.contains("weight_read") })
        #expect(json.last?.hasPrefix("{\"sgemm_gflops\": ") == true)
        #expect(json.last?.contains("\"mem_bw_gb_s\": ") == true && json.last?.contains("\"weights_bytes\": ") == true)
    }

    @Test("a model that cannot be loaded is an error naming the file, not a crash")
    func missingModel() {
        let options = RunnerBenchmark.Options(source: .gguf("/nonexistent/apus/model.gguf"))
        #expect(throws: ModelLoadError.self) { try RunnerBenchmark.run(options: options) }
    }
}
