import ServingCore
import Testing

@testable import Tokenization

@Suite("Token bytes: what each token adds mid-text")
struct TokenBytesTests {
    @Test(
        "concatenating every token's bytes gives the text back (after the first token), on each tokenizer kind",
        arguments: ["bytelevel_llama3", "bytelevel_qwen2", "bytelevel_gpt2", "sentencepiece_llama2",
                    "sentencepiece_metaspace"])
    func concatenationIsTheText(_ name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let text = "Say: the quick brown fox, 1234 and 流式 🚀 {\"a\": [1, 2]}"
        let ids = tokenizer.encode("x" + text, addSpecialTokens: false)
        let bytes = ids.dropFirst().flatMap { tokenizer.tokenBytes($0) }
        let decoded = Array(tokenizer.decode(ids, skipSpecialTokens: true).utf8)
        let first = tokenizer.decode([ids[0]], skipSpecialTokens: true).utf8.count
        #expect(bytes == Array(decoded.dropFirst(first)), "\(String(decoding: bytes, as: UTF8.self))")
    }

    @Test("a SentencePiece byte-fallback token is its one byte, and ▁ is a space")
    func sentencePieceBytes() throws {
        let tokenizer = try Fixtures.tokenizer("sentencepiece_llama2")
        #expect(tokenizer.tokenBytes(tokenizer.tokenToID("<0xF0>")!) == [0xF0])
        let id = try #require(tokenizer.tokenToID("▁the"))
        #expect(tokenizer.tokenBytes(id) == Array(" the".utf8))
        #expect(tokenizer.tokenBytes(1 << 30).isEmpty)
    }
}
