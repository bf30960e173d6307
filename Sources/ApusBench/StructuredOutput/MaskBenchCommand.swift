import Foundation
import StructuredOutput

/// `apus bench structured PREP_DIR [--json] [--no-end-check] [--limit N] [--only NAME] [--time-limit S]`:
/// MaskBench (guidance-ai/jsonschemabench, its `maskbench/runner.py` method) over the files
/// `scripts/maskbench-prep.py` writes; with `--json` one line per schema and a summary line.
public enum MaskBenchCommand {
    public static func run(_ arguments: [String]) throws {
        var directory: String?
        var json = false
        var endCheck = true
        var limit = Int.max
        var only: String?
        var timeLimit = 60.0
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--json": json = true
            case "--no-end-check": endCheck = false
            case "--limit": limit = Int(iterator.next() ?? "") ?? limit
            case "--only": only = iterator.next()
            case "--time-limit": timeLimit = Double(iterator.next() ?? "") ?? timeLimit
            default: directory = argument
            }
        }
        guard let directory else { throw MaskBenchError.usage("usage: apus bench structured PREP_DIR [--json] …") }
        let data = try MaskBenchData(directory: directory)
        var runner = MaskBenchRunner(vocabulary: data.vocabulary)
        runner.endCheck = endCheck
        runner.verbose = only != nil
        runner.timeLimitSeconds = timeLimit
        var counts: [MaskBenchRunner.Status: Int] = [:]
        var bySource: [String: [MaskBenchRunner.Status: Int]] = [:]
        var allMasks: [Int] = []
        var allCompiles: [Int] = []
        var allCompileCPU: [Int] = []
        for schema in data.schemas.prefix(limit) where only == nil || schema.name == only {
            let result = runner.run(schema)
            counts[result.status, default: 0] += 1
            bySource[source(of: schema.name), default: [:]][result.status, default: 0] += 1
            allMasks += result.maskMicroseconds
            if result.status != .compileError {
                allCompiles.append(result.compileMicroseconds)
                allCompileCPU.append(result.compileCPUMicroseconds)
            }
            if json { print(line(result)) }
        }
        func statusCounts(_ counts: [MaskBenchRunner.Status: Int]) -> [String] {
            MaskBenchRunner.Status.allCases.map { "\"\($0.rawValue)\": \(counts[$0, default: 0])" }
        }
        let summary = statusCounts(counts)
        let sources = bySource.keys.sorted().map { (name: $0, counts: statusCounts(bySource[$0]!)) }
        let masks = Percentiles(allMasks)
        let compiles = Percentiles(allCompiles)
        let compileCPU = Percentiles(allCompileCPU)
        if json {
            print(
                "{"
                    + (summary + [
                        "\"mask_us\": \(masks.json)", "\"compile_us\": \(compiles.json)",
                        "\"compile_cpu_us\": \(compileCPU.json)", "\"end_check\": \(endCheck)",
                        "\"sources\": {"
                            + sources.map { "\(TraceSimulator.quoted($0.name)): {\($0.counts.joined(separator: ", "))}" }
                            .joined(separator: ", ") + "}",
                    ]).joined(separator: ", ") + "}")
        } else {
            print(summary.joined(separator: ", "))
            print("mask µs: \(masks.json) over \(masks.values.count) tokens")
            print("compile µs: \(compiles.json) over \(compiles.values.count) schemas")
            print("compile CPU µs (this thread): \(compileCPU.json)")
            for source in sources { print("\(source.name): \(source.counts.joined(separator: ", "))") }
        }
    }

    /// The MaskBench source a test file comes from: the name before `---` (`Github_easy---o1.json`), or without its
    /// number (`BFCL_simple_12.json`, `JME_3.json`).
    static func source(of name: String) -> String {
        if let range = name.range(of: "---") { return String(name[..<range.lowerBound]) }
        var stem = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        while let last = stem.last, last.isNumber { stem.removeLast() }
        return stem.hasSuffix("_") ? String(stem.dropLast()) : stem
    }

    static func line(_ result: MaskBenchRunner.Result) -> String {
        let masks = Percentiles(result.maskMicroseconds)
        var fields = [
            "\"schema\": \(TraceSimulator.quoted(result.schema))", "\"status\": \"\(result.status.rawValue)\"",
            "\"compile_us\": \(result.compileMicroseconds)",
            "\"compile_cpu_us\": \(result.compileCPUMicroseconds)", "\"mask_us_p50\": \(masks.percentile(50))",
            "\"mask_us_p99\": \(masks.percentile(99))", "\"tokens\": \(result.maskMicroseconds.count)",
        ]
        if let detail = result.detail { fields.append("\"detail\": \(TraceSimulator.quoted(detail))") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
