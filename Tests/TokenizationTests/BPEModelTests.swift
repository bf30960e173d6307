import Foundation
import ServingCore
import Testing
@testable import Tokenization

@Suite("BPE model")
struct BPEModelTests {
    @Test("SentencePiece fixtures cut long words at ▁ boundaries (no token has a ▁ after another character)")
    func metaspaceSegmentsEnabled() throws {
        for name in ["sentencepiece_llama2", "sentencepiece_metaspace", "sentencepiece_metaspace_split"] {
            #expect(try Fixtures.tokenizer(name).model.splitsAtMetaspace, "\(name)")
        }
        #expect(try !Fixtures.tokenizer("bytelevel_llama3").model.splitsAtMetaspace)
    }

    @Test("a token with ▁ after another character disables the cut")
    func innerMetaspace() {
        #expect(BPEModel.hasInnerMetaspace("a\u{2581}"))
        #expect(BPEModel.hasInnerMetaspace("\u{2581}a\u{2581}b"))
        #expect(!BPEModel.hasInnerMetaspace("\u{2581}\u{2581}\u{2581}"))
        #expect(!BPEModel.hasInnerMetaspace("\u{2581}hello"))
    }

    @Test("segments are cut before a ▁ only when the previous character is not ▁")
    func segments() {
        let word = Array("\u{2581}a\u{2581}\u{2581}b\u{2581}c".utf8)
        var pieces: [String] = []
        word.withUnsafeBufferPointer { buffer in
            BPEModel.forEachMetaspaceSegment(of: buffer) { pieces.append(String(decoding: $0, as: UTF8.self)) }
        }
        #expect(pieces == ["\u{2581}a", "\u{2581}\u{2581}b", "\u{2581}c"])
    }

    @Test("a 100 KB word without pre-tokenization encodes in linear-ish time and round-trips")
    func longWord() throws {
        let tokenizer = try Fixtures.tokenizer("sentencepiece_llama2")
        let text = String(repeating: "abcdefghij", count: 10_000)
        let clock = ContinuousClock()
        var ids: [TokenID] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text, addSpecialTokens: false) }
        #expect(tokenizer.decode(ids) == text)
        #expect(elapsed < .seconds(10))
    }

    @Test("merges apply lowest rank first, leftmost first among equal ranks")
    func mergeOrder() throws {
        let json = #"""
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "aa": 2, "ab": 3, "aab": 4},
             "merges": ["a a", "a b", "aa b"]}}
            """#
        let tokenizer = try Tokenizer(tokenizerJSON: Data(json.utf8), config: nil)
        #expect(tokenizer.encode("aaa") == [2, 0], "leftmost pair of equal rank merges first")
        #expect(tokenizer.encode("aab") == [4], "a a (rank 0) before a b (rank 1), then aa b")
        #expect(tokenizer.encode("ab") == [3])
    }

    /// A BPE model section as transformers writes it (Qwen2 / Qwen2.5 files look like this), with `prefix` and
    /// `suffix` as the subword prefix and end-of-word suffix.
    private static func transformersStyleJSON(prefix: String, suffix: String) -> Data {
        let json = """
            {"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false,
                               "use_regex": true},
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "dropout": null, "unk_token": null,
                       "continuing_subword_prefix": "\(prefix)", "end_of_word_suffix": "\(suffix)",
                       "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                       "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġab": 4},
                       "merges": [["a", "b"], ["Ġ", "ab"]]}}
            """
        return Data(json.utf8)
    }

    @Test("empty continuing_subword_prefix / end_of_word_suffix (as transformers writes them) mean none")
    func emptyPrefixAndSuffix() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Self.transformersStyleJSON(prefix: "", suffix: ""), config: nil)
        #expect(tokenizer.encode("ab ab") == [3, 4])
        #expect(tokenizer.decode([3, 4]) == "ab ab")
    }

    @Test("a non-empty continuing_subword_prefix or end_of_word_suffix is refused as unsupported")
    func nonEmptyPrefixOrSuffix() {
        for (prefix, suffix) in [("##", ""), ("", "</w>")] {
            #expect(throws: TokenizerError.unsupported("BPE continuing_subword_prefix / end_of_word_suffix")) {
                try Tokenizer(tokenizerJSON: Self.transformersStyleJSON(prefix: prefix, suffix: suffix), config: nil)
            }
        }
    }
}
