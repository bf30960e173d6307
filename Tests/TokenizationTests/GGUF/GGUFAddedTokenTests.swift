import ModelFiles
import ServingCore
import Testing
@testable import Tokenization

@Suite("GGUF special and user-defined tokens")
struct GGUFAddedTokenTests {
    /// a b c d, then user-defined "ab" and "bcd", control "<c>".
    static let metadata: [String: GGUFValue] = [
        "tokenizer.ggml.model": .string("gpt2"),
        "tokenizer.ggml.pre": .string("gpt-2"),
        "tokenizer.ggml.tokens": .array(["a", "b", "c", "d", "ab", "bcd", "<c>"].map { .string($0) }),
        "tokenizer.ggml.token_type": .array([1, 1, 1, 1, 4, 4, 3].map { .int($0) }),
        "tokenizer.ggml.merges": .array([]),
    ]

    @Test("the longest token is placed first, as llama.cpp does (Hugging Face would take the leftmost)")
    func longestFirst() throws {
        let tokenizer = try Tokenizer(ggufMetadata: Self.metadata)
        #expect(tokenizer.encode("abcd") == [0, 5])
        #expect(tokenizer.encode("abab<c>ab") == [4, 4, 6, 4])
        #expect(tokenizer.encode("bcdbcd") == [5, 5])
    }

    @Test("control tokens are skipped when decoding; user-defined ones are kept")
    func decodeSkipsControlOnly() throws {
        let tokenizer = try Tokenizer(ggufMetadata: Self.metadata)
        #expect(tokenizer.decode([4, 6, 5], skipSpecialTokens: true) == "abbcd")
        #expect(tokenizer.decode([4, 6, 5], skipSpecialTokens: false) == "ab<c>bcd")
        #expect(tokenizer.specialTokenIDs == [6])
    }
}
