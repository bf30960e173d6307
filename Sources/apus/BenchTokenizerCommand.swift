import ApusBench
import ArgumentParser
import Foundation
import Tokenization

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
