import ModelFiles
import ServingCore
import Testing
@testable import Tokenization

/// Malformed tokenizer metadata is a `TokenizerError` naming the key, never a crash.
@Suite("GGUF tokenizer metadata errors")
struct GGUFMetadataErrorTests {
    /// A valid byte-level vocabulary: a, b, ab, <|end|> (control), one merge.
    static let valid: [String: GGUFValue] = [
        "tokenizer.ggml.model": .string("gpt2"),
        "tokenizer.ggml.pre": .string("gpt-2"),
        "tokenizer.ggml.tokens": .array(["a", "b", "ab", "<|end|>"].map { .string($0) }),
        "tokenizer.ggml.token_type": .array([1, 1, 1, 3].map { .int($0) }),
        "tokenizer.ggml.merges": .array([.string("a b")]),
        "tokenizer.ggml.eos_token_id": .uint(3),
    ]

    static func load(_ changes: [String: GGUFValue?]) throws -> Tokenizer {
        var metadata = valid
        for (key, value) in changes { metadata[key] = value }
        return try Tokenizer(ggufMetadata: metadata)
    }

    /// The key an `invalidGGUF` error names (nil for other errors).
    static func key(_ error: any Error) -> String? {
        if case .invalidGGUF(let key, _)? = error as? TokenizerError { return key }
        return nil
    }

    @Test("the valid vocabulary loads and merges")
    func validLoads() throws {
        let tokenizer = try Self.load([:])
        #expect(tokenizer.encode("ab<|end|>a") == [2, 3, 0])
        #expect(tokenizer.eosTokenIDs == [3])
    }

    static let badValues: [(String, GGUFValue?)] = [
        ("tokenizer.ggml.model", nil),
        ("tokenizer.ggml.model", .uint(2)),
        ("tokenizer.ggml.tokens", nil),
        ("tokenizer.ggml.tokens", .array([])),
        ("tokenizer.ggml.tokens", .string("a b ab")),
        ("tokenizer.ggml.tokens", .array([.string("a"), .uint(1)])),
        ("tokenizer.ggml.token_type", .array([.int(1), .int(1)])),
        ("tokenizer.ggml.token_type", .array(["1", "1", "1", "3"].map { .string($0) })),
        ("tokenizer.ggml.merges", nil),
        ("tokenizer.ggml.merges", .array([.string("a c")])),
        ("tokenizer.ggml.merges", .array([.string("ab")])),
        ("tokenizer.ggml.merges", .array([.float(1)])),
        ("tokenizer.ggml.scores", .array([.string("x")])),
        ("tokenizer.ggml.scores", .array([.float(0)])),
        ("tokenizer.ggml.bos_token_id", .uint(4)),
        ("tokenizer.ggml.eos_token_id", .int(-1)),
        ("tokenizer.ggml.eot_token_id", .string("3")),
        ("tokenizer.ggml.padding_token_id", .uint(1 << 40)),
        ("tokenizer.ggml.unknown_token_id", .array([])),
        ("tokenizer.ggml.add_bos_token", .string("true")),
        ("tokenizer.ggml.pre", .uint(0)),
        ("tokenizer.chat_template", .array([])),
        ("tokenizer.chat_template.tool_use", .bool(true)),
    ]

    @Test("a missing, mistyped or out-of-range key is an error naming it", arguments: badValues.indices)
    func namesTheKey(index: Int) {
        let (key, value) = Self.badValues[index]
        #expect {
            try Self.load([key: value])
        } throws: { error in
            Self.key(error) == key
        }
    }

    @Test("adding BOS without a BOS id names tokenizer.ggml.bos_token_id")
    func addBOSWithoutID() {
        #expect {
            try Self.load(["tokenizer.ggml.add_bos_token": .bool(true)])
        } throws: { error in
            Self.key(error) == "tokenizer.ggml.bos_token_id"
        }
    }

    @Test("an unknown pre-tokenizer type is unsupported, and the message names it")
    func unknownPre() {
        #expect {
            try Self.load(["tokenizer.ggml.pre": .string("nonesuch")])
        } throws: { error in
            guard case .unsupported(let message)? = error as? TokenizerError else { return false }
            return message.contains("\"nonesuch\"") && message.contains("tokenizer.ggml.pre")
        }
    }

    @Test("a model other than gpt2 or llama is unsupported")
    func unknownModel() {
        #expect(throws: TokenizerError.unsupported("tokenizer.ggml.model \"bert\" (only gpt2 and llama)")) {
            try Self.load(["tokenizer.ggml.model": .string("bert")])
        }
    }
}
