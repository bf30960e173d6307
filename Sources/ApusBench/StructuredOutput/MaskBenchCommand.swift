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
        var allMasks: [Int] = []
        var allCompiles: [Int] = []
        for schema in data.schemas.prefix(limit) where only == nil || schema.name == only {
            let result = runner.run(schema)
            counts[result.status, default: 0] += 1
            allMasks += result.maskMicroseconds
            if result.status != .compileError { allCompiles.append(result.compileMicroseconds) }
            if json { print(line(result)) }
        }
        let summary = MaskBenchRunner.Status.allCases.map { "\"\($0.rawValue)\": \(counts[$0, default: 0])" }
        let masks = Percentiles(allMasks)
        let compiles = Percentiles(allCompiles)
        if json {
            print(
                "{"
                    + (summary + [
                        "\"mask_us\": \(masks.json)", "\"compile_us\": \(compiles.json)", "\"end_check\": \(endCheck)",
                    ]).joined(separator: ", ") + "}")
        } else {
            print(summary.joined(separator: ", "))
            print("mask µs: \(masks.json) over \(masks.values.count) tokens")
            print("compile µs: \(compiles.json) over \(compiles.values.count) schemas")
        }
    }

    static func line(_ result: MaskBenchRunner.Result) -> String {
        let masks = Percentiles(result.maskMicroseconds)
        var fields = [
            "\"schema\": \(JSONText.quote(result.schema))", "\"status\": \"\(result.status.rawValue)\"",
            "\"compile_us\": \(result.compileMicroseconds)", "\"mask_us_p50\": \(masks.percentile(50))",
            "\"mask_us_p99\": \(masks.percentile(99))", "\"tokens\": \(result.maskMicroseconds.count)",
        ]
        if let detail = result.detail { fields.append("\"detail\": \(JSONText.quote(detail))") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

enum JSONText {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 {
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
