import ArgumentParser
import Foundation
import ModelRuntime
import RequestRouting
import Scheduling
import Tokenization
import Wire

/// `apus bench scheduler`: µs per schedule() + updateFromOutput() step (issue 3 workload).
struct BenchSchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "µs per scheduler step for 64, 256 and 1,024 requests.")

    @OptionGroup var output: BenchOutputOptions

    @Option(name: .customLong("requests"), parsing: .upToNextOption, help: "Request counts to run.")
    var requests: [Int] = [64, 256, 1_024]

    func run() throws {
        for r in SchedulerBenchmark.run(requestCounts: requests) {
            if output.json {
                print(r.jsonLine)
            } else {
                print(String(format: "%5d requests, %5d steps: %.2f µs/step mean, p50 %.2f, p99 %.2f; %.0f steps/s",
                             r.requests, r.steps, r.usPerStepMean, r.usPerStepP50, r.usPerStepP99, r.stepsPerS))
            }
        }
    }
}

/// `apus bench runner`: prefill/decode tokens/s of a ~100M-parameter dummy Llama, with sgemm and bandwidth.
struct BenchRunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner", abstract: "Prefill and decode tokens/s at batch 1, 8, 32, 128 (dummy 100M Llama).")

    @OptionGroup var output: BenchOutputOptions

    func run() throws {
        benchLines(RunnerBenchmark.run(), json: output.json).forEach { print($0) }
    }
}

/// `apus bench tokenizer [--tokenizer DIR]`: encode / decode / incremental detokenize throughput.
struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Tokenizer encode and detokenize throughput on ~1 MB of mixed text.")

    @OptionGroup var output: BenchOutputOptions

    @Option(help: "A Hugging Face tokenizer directory (default: the embedded tokenizer).")
    var tokenizer: String?

    func run() throws {
        let t = try tokenizer.map { try Tokenizer(directory: URL(fileURLWithPath: $0)) } ?? Tokenizer.embeddedDefault
        let lines = TokenizerBenchmark.run(tokenizer: t)
        if output.json {
            lines.forEach { print(jsonObject(["line": $0])) }
        } else {
            lines.forEach { print($0) }
        }
    }
}

/// `apus bench router`: cost of one routing decision per policy.
struct BenchRouterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router", abstract: "Routing decision cost per policy (RouterCore, no network).")

    @OptionGroup var output: BenchOutputOptions

    func run() throws {
        let lines = RouterBenchmark.run()
        if output.json {
            lines.forEach { print($0.hasPrefix("{") ? $0 : jsonObject(["line": $0])) }
        } else {
            lines.forEach { print($0) }
        }
    }
}

/// `apus bench messages`: protobuf-c conversion + packing cost of the hot wire messages.
struct BenchMessagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages", abstract: "Encode/decode ns per hot wire message (protobuf-c).")

    @OptionGroup var output: BenchOutputOptions

    func run() throws {
        let lines = WireMessageBenchmark.run()
        if output.json {
            lines.forEach { print($0.hasPrefix("{") ? $0 : jsonObject(["line": $0])) }
        } else {
            lines.forEach { print($0) }
        }
    }
}

/// One JSON object from string values (sorted keys), for benchmarks that only produce text lines.
func jsonObject(_ fields: [String: String]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}
