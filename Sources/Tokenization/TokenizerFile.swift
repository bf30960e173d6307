import Foundation
import ServingCore

/// The layout of `tokenizer.json`, decoded in one pass with `JSONDecoder`.
///
/// The large parts (vocabulary, merges) decode straight into typed values; the small polymorphic parts
/// (normalizer, pre-tokenizer, post-processor, decoder, added tokens) stay loose and are read by the components.
/// NOTE: bridging a 100k-entry vocabulary through `JSONSerialization` costs seconds on Linux; this takes a fraction.
struct TokenizerFile: Decodable {
    let added_tokens: [LooseJSON]?
    let normalizer: LooseJSON?
    let pre_tokenizer: LooseJSON?
    let post_processor: LooseJSON?
    let decoder: LooseJSON?
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

/// Any JSON value, for the small untyped parts of the Hugging Face files; `any` gives the `JSONSerialization`-style
/// value (`[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool`, `NSNull`).
enum LooseJSON: Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([LooseJSON])
    case object([String: LooseJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([LooseJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: LooseJSON].self))
        }
    }

    var any: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .string(let value): return value
        case .array(let values): return values.map(\.any)
        case .object(let values): return values.mapValues(\.any)
        }
    }

    var object: HFJSON.Object? { any as? HFJSON.Object }
}
