import Foundation
import ServingCore
import Testing
@testable import Tokenization

/// GGUF tokenizers must give llama.cpp's ids on every corpus line (ours, and llama.cpp's own test inputs).
@Suite("Tokenizer from GGUF metadata matches llama.cpp")
struct GGUFTokenizerTests {
    /// Checks ids, ids with BOS/EOS and, for byte-level files, the decoding. NOTE: SentencePiece decodings are not
    /// compared: the fixture's come from llama-cpp-python, which joins pieces and keeps the space the `▁` prefix
    /// adds; `decode` drops it as transformers and `llama_detokenize` do.
    static func expectLlamaCppIDs(_ tokenizer: Tokenizer, _ name: String, decodes: Bool = true) throws {
        let cases = try GGUFFixtures.expectations(name).cases
        #expect(cases.count > 50)
        for item in cases {
            let text = item.text.debugDescription
            #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.ids, "\(name): \(text)")
            #expect(tokenizer.encode(item.text) == item.ids_with_special, "\(name), BOS/EOS: \(text)")
            if decodes {
                #expect(tokenizer.decode(item.ids, skipSpecialTokens: false) == item.decoded, "\(name) decode: \(text)")
            }
        }
    }

    @Test(
        "SmolLM2 (gpt2, pre smollm): ids and decodings equal llama.cpp's",
        .enabled(if: GGUFFixtures.smollm2Path != nil, GGUFFixtures.smollm2Missing))
    func smollm2IDs() throws {
        try Self.expectLlamaCppIDs(try GGUFFixtures.tokenizer(path: GGUFFixtures.smollm2Path!), "smollm2-135m-instruct")
    }

    @Test(
        "SmolLM2: special ids, EOS, no BOS added, control tokens dropped when decoding",
        .enabled(if: GGUFFixtures.smollm2Path != nil, GGUFFixtures.smollm2Missing))
    func smollm2Specials() throws {
        let tokenizer = try GGUFFixtures.tokenizer(path: GGUFFixtures.smollm2Path!)
        #expect(tokenizer.vocabSize == 49152)
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenIDs == [2, 0], "eos, then <|endoftext|> (llama.cpp EOG)")
        #expect(tokenizer.config?.bosToken == "<|im_start|>" && tokenizer.config?.eosToken == "<|im_end|>")
        #expect(tokenizer.config?.addBOSToken == false)
        #expect(tokenizer.specialTokenIDs == Set(0..<17))
        let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>")
        #expect(ids.first == 1 && ids.last == 2)
        #expect(tokenizer.decode(ids) == "user\nHi")
    }

    @Test(
        "llama.cpp's small vocab files (llama-spm, gpt-2, starcoder): ids equal llama.cpp's",
        arguments: GGUFFixtures.committedVocabs)
    func committedVocabIDs(name: String) throws {
        try Self.expectLlamaCppIDs(
            try GGUFFixtures.committedVocab(name), "ggml-vocab-" + name, decodes: name != "llama-spm")
    }

    @Test(
        "Llama 3 vocab (pre llama-bpe): ids equal llama.cpp's",
        .enabled(if: GGUFFixtures.uncommittedVocabPath("llama-bpe") != nil, GGUFFixtures.vocabMissing("llama-bpe")))
    func llamaBPEIDs() throws {
        let path = GGUFFixtures.uncommittedVocabPath("llama-bpe")!
        try Self.expectLlamaCppIDs(try GGUFFixtures.tokenizer(path: path), "ggml-vocab-llama-bpe")
    }

    @Test(
        "Qwen2 vocab (pre qwen2): ids equal llama.cpp's",
        .enabled(if: GGUFFixtures.uncommittedVocabPath("qwen2") != nil, GGUFFixtures.vocabMissing("qwen2")))
    func qwen2IDs() throws {
        let path = GGUFFixtures.uncommittedVocabPath("qwen2")!
        try Self.expectLlamaCppIDs(try GGUFFixtures.tokenizer(path: path), "ggml-vocab-qwen2")
    }
}
