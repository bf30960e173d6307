import ArgumentParser
import ModelRuntime

/// `apus bench runner`: prefill/decode tokens/s of a ~100M-parameter dummy Llama, with sgemm and bandwidth.
struct BenchRunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner", abstract: "Prefill and decode tokens/s at batch 1, 8, 32, 128 (dummy 100M Llama).")

    @OptionGroup var output: BenchOutputOptions

    func run() throws {
        benchLines(RunnerBenchmark.run(), json: output.json).forEach { print($0) }
    }
}
