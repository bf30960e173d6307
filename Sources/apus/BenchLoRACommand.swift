import ApusBench
import ArgumentParser
import Foundation
import ModelRuntime

/// `apus bench lora`: batch decode with the base model vs distinct random LoRA adapters over the same batch.
struct BenchLoRACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora",
        abstract: "Batch-32 decode: base model vs 4 distinct rank-16 LoRA adapters over the batch (target ≥ 80%).")

    @Option(help: "A GGUF file or Hugging Face directory (default: $APUS_SMOLLM2_GGUF).")
    var model: String?

    @Option(help: "Weight format: auto (as stored), float32, float16 or bfloat16.")
    var dtype: WeightDType = .auto

    @Option(help: "Requests decoded together.")
    var batch = 32

    @Option(help: "Distinct adapters, request i on adapter i mod this.")
    var adapters = 4

    @Option(help: "Rank of every adapter module.")
    var rank = 16

    @Option(name: .customLong("decode-steps"), help: "Decode steps per round and mode.")
    var decodeSteps = 16

    @Option(help: "Rounds, each a fresh base batch and LoRA batch decoded in alternating steps.")
    var rounds = 3

    @OptionGroup var output: BenchOutputOptions

    var modelPath: String? { model ?? ProcessInfo.processInfo.environment["APUS_SMOLLM2_GGUF"] }

    func validate() throws {
        guard modelPath != nil else { throw ValidationError("give --model or set APUS_SMOLLM2_GGUF") }
        guard (1...1024).contains(batch) else { throw ValidationError("--batch must be 1...1024") }
        guard (1...batch).contains(adapters) else { throw ValidationError("--adapters must be 1...--batch") }
        guard LoRAConfig.maxLoRARankRange.contains(rank) else {
            throw ValidationError("--rank must be in \(LoRAConfig.maxLoRARankRange)")
        }
        guard (1...1024).contains(decodeSteps), (1...100).contains(rounds) else {
            throw ValidationError("--decode-steps must be 1...1024 and --rounds 1...100")
        }
    }

    func run() throws {
        let options = LoRABenchmark.Options(
            source: ModelSource(path: modelPath!), dtype: dtype, batch: batch, adapters: adapters, rank: rank,
            decodeSteps: decodeSteps, rounds: rounds)
        let result: LoRABenchmark.Result
        do {
            result = try LoRABenchmark.measure(options)
        } catch {
            throw ValidationError("cannot run the LoRA benchmark on \(modelPath!): \(error)")
        }
        let lines = output.json ? LoRABenchmark.jsonLines(result) : LoRABenchmark.humanLines(result)
        lines.forEach { print($0) }
    }
}
