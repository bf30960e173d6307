import Foundation
import ServingCore

/// The layout of `tokenizer.json`, decoded in one pass with `JSONDecoder`.
///
/// The large parts (vocabulary, merges) decode straight into typed values; the small polymorphic parts
/// (normalizer, pre-tokenizer, post-processor, decoder, added tokens) stay loose and are read by the components.
/// NOTE: bridging a 100k-entry vocabulary through `JSONSerialization` costs seconds on Linux; this takes a fraction.
struct TokenizerFile: Decodable {
    let added_tokens: [JSONValue]?
    let normalizer: JSONValue?
    let pre_tokenizer: JSONValue?
    let post_processor: JSONValue?
    let decoder: JSONValue?
    let model: Model

    struct Model: Decodable {
        let type: String?
        let vocab: [String: TokenID]?
        let merges: [Merge]?
        let unk_token: String?
        let byte_fallback: Bool?
        let fuse_unk: Bool?
        let ignore_merges: Bool?
        let dropout: Double?
        let continuing_subword_prefix: String?
        let end_of_word_suffix: String?
    }

    /// A merge written as `"a b"` or as `["a", "b"]`.
    struct Merge: Decodable {
        let left: String
        let right: String

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let line = try? container.decode(String.self) {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidJSON("merge \"\(line)\" is not \"a b\"")
                }
                (left, right) = (String(parts[0]), String(parts[1]))
            } else {
                let pair = try container.decode([String].self)
                guard pair.count == 2 else { throw TokenizerError.invalidJSON("merge \(pair) is not a pair") }
                (left, right) = (pair[0], pair[1])
            }
        }
    }

    static func decode(_ data: Data) throws -> TokenizerFile {
        do {
            return try JSONDecoder().decode(TokenizerFile.self, from: data)
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.invalidJSON("tokenizer.json: \(error)")
        }
    }
}
