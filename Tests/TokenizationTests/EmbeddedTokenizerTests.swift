import Foundation
import ServingCore
import Testing
@testable import Tokenization

@Suite("Embedded default tokenizer")
struct EmbeddedTokenizerTests {
    @Test("has 512 ids with the ChatML special tokens at 0, 1 and 2")
    func layout() {
        let tokenizer = Tokenizer.embeddedDefault
        #expect(tokenizer.vocabSize == 512)
        #expect(tokenizer.tokenToID("<|endoftext|>") == 0)
        #expect(tokenizer.tokenToID("<|im_start|>") == 1)
        #expect(tokenizer.tokenToID("<|im_end|>") == 2)
        #expect(tokenizer.specialTokenIDs == [0, 1, 2])
        #expect(tokenizer.bosTokenID == 0)
        #expect(tokenizer.eosTokenIDs == [2, 0])
        #expect(tokenizer.chatTemplate?.hasPrefix("{% for message in messages %}") == true)
    }

    @Test("loads from its fixture directory the same as from the embedded strings")
    func directoryLoading() throws {
        let fromDisk = try Tokenizer(directory: Fixtures.directory.appendingPathComponent("embedded"))
        #expect(fromDisk.eosTokenIDs == Tokenizer.embeddedDefault.eosTokenIDs)
        #expect(fromDisk.chatTemplate == Tokenizer.embeddedDefault.chatTemplate)
        #expect(fromDisk.config?.addBOSToken == false)
        #expect(fromDisk.generationConfig?.maxNewTokens == 256)
    }

    @Test("the generated Swift file holds exactly the committed JSON files")
    func generatedFileInSync() throws {
        let directory = Fixtures.directory.appendingPathComponent("embedded")
        func file(_ name: String) throws -> String {
            var text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            while text.hasSuffix("\n") { text.removeLast() }
            return text
        }
        #expect(try file("tokenizer.json") == Tokenizer.embeddedTokenizerJSON)
        #expect(try file("tokenizer_config.json") == Tokenizer.embeddedTokenizerConfigJSON)
        #expect(try file("generation_config.json") == Tokenizer.embeddedGenerationConfigJSON)
    }

    @Test("encodes the corpus like Hugging Face, adding no BOS (add_bos_token is false)")
    func encodesLikeHuggingFace() throws {
        for item in try Fixtures.expectations("embedded").cases {
            #expect(Tokenizer.embeddedDefault.encode(item.text) == item.ids_without_special)
        }
    }

    @Test("a ChatML prompt round-trips through encode and decode")
    func chatMLRoundTrip() {
        let tokenizer = Tokenizer.embeddedDefault
        let prompt = "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"
        let ids = tokenizer.encode(prompt)
        #expect(ids.first == 1)
        #expect(ids.filter { $0 == 2 }.count == 1)
        #expect(tokenizer.decode(ids, skipSpecialTokens: false) == prompt)
        #expect(tokenizer.decode(ids) == "user\nHello!\nassistant\n")
    }
}
