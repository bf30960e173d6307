import ApusBench
import ArgumentParser
import ModelRuntime

/// `apus bench runner`: prefill/decode tokens/s of a model (default: a ~100M-parameter dummy Llama), with sgemm and
/// bandwidth ceilings and the bytes each decode step reads.
struct BenchRunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Ceilings (sgemm, bandwidth) on every core, then prompt prefill and decode speed (default: dummy 100M Llama).")

    @Option(help: "A GGUF file or Hugging Face directory (default: random weights of a 100M-parameter Llama).")
    var model: String?

    @Option(help: "Weight format: auto (as stored), float32, float16 or bfloat16.")
    var dtype: WeightDType = .auto

    @Option(name: .customLong("batch"), help: "A batch size to measure (repeatable; default 1, 8, 32, 128).")
    var batches: [Int] = []

    @Option(help: "Decode steps per batch size (the best step is reported).")
    var decodeSteps = 16

    @Option(name: .customLong("prompt-len"), help: "Prompt tokens per request (the context decode attends over).")
    var promptLength = 16

    @Option(name: .customLong("prefill-len"), help: "A single prompt whose one-step prefill is measured (repeatable; default 128, 1024).")
    var prefillLengths: [Int] = []

    @OptionGroup var output: BenchOutputOptions

    func validate() throws {
        guard batches.allSatisfy({ (1...1024).contains($0) }) else {
            throw ValidationError("--batch must be between 1 and 1024")
        }
        guard (1...4096).contains(decodeSteps) else { throw ValidationError("--decode-steps must be 1...4096") }
        guard promptLength >= 1, promptLength + decodeSteps < 2048 else {
            throw ValidationError("--prompt-len must be at least 1 and --prompt-len + --decode-steps below 2048")
        }
        guard prefillLengths.allSatisfy({ (1...2047).contains($0) }) else {
            throw ValidationError("--prefill-len must be between 1 and 2047")
        }
    }

    func run() throws {
        var options = RunnerBenchmark.Options(dtype: dtype)
        if let model { options.source = ModelSource(path: model) }
        if !batches.isEmpty { options.batches = batches }
        options.decodeSteps = decodeSteps
        options.promptLength = promptLength
        if !prefillLengths.isEmpty { options.prefillLengths = prefillLengths }
        let lines: [String]
        do {
            lines = try RunnerBenchmark.run(options: options)
        } catch {
            throw ValidationError("cannot load \(model ?? "the model"): \(error)")
        }
        benchLines(lines, json: output.json).forEach { print($0) }
    }
}
