import ApusBench
import ArgumentParser

/// `apus bench structured`: structured-output compile and mask times, and correctness, on MaskBench.
struct BenchStructuredCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "structured",
        abstract: "MaskBench: compile time, mask time and validity of structured-output grammars, one thread.",
        discussion: """
            PREP_DIR is what scripts/maskbench-prep.py writes from the MaskBench files (guidance-ai/jsonschemabench, \
            folder maskbench) and a model's tokenizer: the vocabulary's token bytes, and each schema's test instances \
            serialized as Python's json.dumps writes them and tokenized without special tokens.
            """)

    @Argument(help: "The folder scripts/maskbench-prep.py wrote.") var data: String
    @OptionGroup var output: BenchOutputOptions
    @Option(help: "Only the first N schemas.") var limit: Int?
    @Option(help: "Only the schema of this name (prints its details).") var only: String?
    @Option(name: .customLong("time-limit"), help: "Seconds one schema may take.") var timeLimit: Double = 60
    @Flag(name: .customLong("no-end-check"), help: "Do not require that a valid instance can end after its last token.")
    var noEndCheck = false

    func run() throws {
        var arguments = [data, "--time-limit", "\(timeLimit)"]
        if output.json { arguments.append("--json") }
        if noEndCheck { arguments.append("--no-end-check") }
        if let limit { arguments += ["--limit", "\(limit)"] }
        if let only { arguments += ["--only", only] }
        try MaskBenchCommand.run(arguments)
    }
}
