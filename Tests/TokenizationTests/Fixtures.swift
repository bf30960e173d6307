import Foundation
import ServingCore
@testable import Tokenization

/// Locates and reads the tokenizer fixtures made by scripts/fixtures/make_tokenizer_fixtures.py.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers")

    static let names = [
        "bytelevel_gpt2", "bytelevel_custom_regex", "bytelevel_digits", "bytelevel_normalizers",
        "bytelevel_llama3", "bytelevel_qwen2", "sentencepiece_llama2",
        "sentencepiece_metaspace", "sentencepiece_metaspace_split", "embedded",
    ]

    struct Expectations: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [TokenID]
            let ids_without_special: [TokenID]
            let decoded: String
            let decoded_skip_special: String
        }
        struct DecodeCase: Decodable {
            let ids: [TokenID]
            let decoded: String
            let decoded_skip_special: String
        }
        let name: String
        let vocab_size: Int
        let cases: [Case]
        let decode_cases: [DecodeCase]
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        let data = try Data(contentsOf: directory.appendingPathComponent(name).appendingPathComponent("tokenizer.json"))
        return try Tokenizer(tokenizerJSON: data, config: nil)
    }

    static func expectations(_ name: String) throws -> Expectations {
        let url = directory.appendingPathComponent(name).appendingPathComponent("expectations.json")
        return try JSONDecoder().decode(Expectations.self, from: Data(contentsOf: url))
    }
}
