import Foundation
import StructuredOutput

/// The files `scripts/maskbench-prep.py` writes: the vocabulary as bytes, and per MaskBench file its schema and each
/// test's serialized text and token ids.
public struct MaskBenchData {
    public struct Test {
        public var valid: Bool
        public var tokens: [Int]
    }

    public struct Schema {
        public var name: String
        public var schema: String
        public var tests: [Test]
    }

    public var vocabulary: TokenVocabulary
    public var schemas: [Schema]

    public init(directory: String) throws {
        let vocabURL = URL(fileURLWithPath: directory).appendingPathComponent("vocab.json")
        guard let vocab = try JSONSerialization.jsonObject(with: Data(contentsOf: vocabURL)) as? [String: Any],
            let hexTokens = vocab["tokens"] as? [String], let eos = vocab["eos"] as? Int,
            let special = vocab["special"] as? [Int]
        else { throw MaskBenchError.badFile("vocab.json") }
        vocabulary = TokenVocabulary(
            tokenBytes: hexTokens.map(Self.bytes(hex:)), eosTokenIDs: [eos], specialTokenIDs: Set(special))
        let testsURL = URL(fileURLWithPath: directory).appendingPathComponent("tests.jsonl")
        let text = try String(contentsOf: testsURL, encoding: .utf8)
        schemas = try text.split(separator: "\n").map { line in
            guard let item = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let name = item["name"] as? String, let schema = item["schema"] as? String,
                let tests = item["tests"] as? [[String: Any]]
            else { throw MaskBenchError.badFile("tests.jsonl") }
            return Schema(
                name: name, schema: schema,
                tests: tests.map { Test(valid: $0["valid"] as? Bool ?? false, tokens: $0["tokens"] as? [Int] ?? []) })
        }
    }

    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        func value(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }
}

public enum MaskBenchError: Error, CustomStringConvertible {
    case badFile(String)
    case usage(String)

    public var description: String {
        switch self {
        case .badFile(let name): "malformed \(name)"
        case .usage(let text): text
        }
    }
}
