import ApusBench
import ArgumentParser
import ModelFiles

/// `apus bench quant`: matmuls on weights kept in their stored type (GGUF quantized, F16, BF16) vs the f32 GEMM.
struct BenchQuantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quant",
        abstract: "Quantized-weight matmuls (decode batches 1 and 4, prefill batch 128) vs the f32 packed GEMM.")

    @Option(name: .customLong("type"), help: "A ggml type to measure (repeatable: q4_0, q4_1, q8_0, q4_k, q6_k, f16, bf16 …; default all).")
    var types: [String] = []

    @Option(name: .customLong("batch"), help: "A batch size to measure (repeatable; default 1, 4, 128).")
    var batches: [Int] = []

    @Option(name: .customLong("shape"), help: "A weight shape OUTxIN (repeatable; default 1536x576, 2048x2048).")
    var shapes: [String] = []

    @OptionGroup var output: BenchOutputOptions

    func validate() throws {
        for name in types where GGMLType(name: name) == nil {
            throw ValidationError("unknown --type \(name); known: \(GGMLType.allCases.map(\.description).joined(separator: ", "))")
        }
        guard batches.allSatisfy({ (1...4096).contains($0) }) else { throw ValidationError("--batch must be 1...4096") }
        for shape in shapes where parse(shape) == nil {
            throw ValidationError("--shape \(shape) is not OUTxIN with both between 1 and 65536")
        }
    }

    func parse(_ shape: String) -> (outDim: Int, inDim: Int)? {
        let parts = shape.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ (1...65536).contains($0) }) else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        var options = QuantBenchmark.Options()
        if !types.isEmpty { options.types = types.compactMap { GGMLType(name: $0) } }
        if !batches.isEmpty { options.batches = batches }
        if !shapes.isEmpty { options.shapes = shapes.compactMap(parse) }
        let rows = QuantBenchmark.run(options: options)
        print(output.json ? QuantBenchmark.jsonLines(rows).joined(separator: "\n") : QuantBenchmark.humanLines(rows).joined(separator: "\n"))
    }
}
