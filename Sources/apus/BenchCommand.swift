import ArgumentParser

/// `apus bench`: the project's benchmarks. Each prints human-readable lines, or with `--json` one JSON object per
/// line. Run them from a release build (`swift build -c release --product apus`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Benchmarks: wire (vs grpc-swift), scheduler, runner, quant, tokenizer, router, messages, serve, lora, "
            + "kv-transfer.",
        subcommands: [
            BenchWireCommand.self, BenchSchedulerCommand.self, BenchRunnerCommand.self, BenchQuantCommand.self,
            BenchTokenizerCommand.self, BenchAsyncCommand.self,
            BenchRouterCommand.self, BenchRouterOverheadCommand.self, BenchMessagesCommand.self, BenchServeCommand.self,
            BenchStructuredCommand.self, BenchLoRACommand.self, BenchKVTransferCommand.self,
        ])
}

/// `--json` for every bench subcommand.
struct BenchOutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object per line instead of human-readable lines.")
    var json = false
}

/// Keeps the lines a benchmark returns that are (or are not) JSON objects.
func benchLines(_ lines: [String], json: Bool) -> [String] {
    lines.filter { $0.hasPrefix("{") == json }
}
