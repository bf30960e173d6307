import Foundation
import ServingCore
import Testing
@testable import Tokenization

/// Every fixture tokenizer must agree with Hugging Face `tokenizers` on every corpus line, id for id.
@Suite("Tokenizer matches Hugging Face tokenizers")
struct TokenizerFixtureTests {
    @Test("encode with special tokens gives the same ids", arguments: Fixtures.names)
    func encodeWithSpecialTokens(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for item in try Fixtures.expectations(name).cases {
            #expect(tokenizer.encode(item.text) == item.ids, "\(name): \(item.text.debugDescription)")
        }
    }

    @Test("encode without special tokens gives the same ids", arguments: Fixtures.names)
    func encodeWithoutSpecialTokens(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for item in try Fixtures.expectations(name).cases {
            #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.ids_without_special,
                    "\(name): \(item.text.debugDescription)")
        }
    }

    @Test("decode of the corpus ids gives the same text, with and without special tokens", arguments: Fixtures.names)
    func decodeCorpus(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for item in try Fixtures.expectations(name).cases {
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: false) == item.decoded, "\(name): \(item.ids)")
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: true) == item.decoded_skip_special,
                    "\(name): \(item.ids)")
        }
    }

    @Test("decode of random ids (partial UTF-8, specials anywhere) gives the same text", arguments: Fixtures.names)
    func decodeRandomIDs(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for item in try Fixtures.expectations(name).decode_cases {
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: false) == item.decoded, "\(name): \(item.ids)")
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: true) == item.decoded_skip_special,
                    "\(name): \(item.ids)")
        }
    }

    @Test("vocab size counts added tokens", arguments: Fixtures.names)
    func vocabSize(name: String) throws {
        #expect(try Fixtures.tokenizer(name).vocabSize == Fixtures.expectations(name).vocab_size)
    }
}
