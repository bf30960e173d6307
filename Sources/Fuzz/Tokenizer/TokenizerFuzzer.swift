import Foundation
import FuzzSupport
import ServingCore
import Tokenization

/// Fuzzes the tokenizer: loading untrusted `tokenizer.json` files, and encode/decode on fixed tokenizers.
///
/// Byte 0 picks the mode. Even: the rest is a `tokenizer.json`; loading may throw but not crash, and a tokenizer
/// that loads must encode and decode a fixed text. Odd: the rest is text (invalid UTF-8 repaired), encoded with
/// and without special tokens by one of the fixture tokenizers (byte 0 / 2 picks it); every id must be in the
/// vocabulary, and where the tokenizer is lossless (byte-level, no normalizer) decoding the ids without special
/// tokens must give the text back whenever the text contains no added-token string.
@main
enum TokenizerFuzzer {
    static func main() {
        LibFuzzer.run(warmUp: (0..<16).map { [UInt8(2 * $0 + 1)] + Array("Hi there".utf8) }, fuzzOne)
    }

    static func fuzzOne(_ raw: UnsafeRawBufferPointer) {
        var input = FuzzInput(raw)
        let mode = input.byte()
        if mode & 1 == 0 {
            load(Data(input.rest()))
        } else {
            roundTrip(input.restAsString(), fixtures[Int(mode >> 1) % fixtures.count])
        }
    }

    static func load(_ json: Data) {
        guard let tokenizer = try? Tokenizer(tokenizerJSON: json, config: nil) else { return }
        let ids = tokenizer.encode("Hello, world! 123 héllo <|im_end|>\n\t  x")
        _ = tokenizer.decode(ids)
        _ = tokenizer.decode(ids, skipSpecialTokens: false)
        for id in ids.prefix(8) { _ = tokenizer.tokenBytes(id) }
    }

    /// A fixture tokenizer and whether decode(encode(text)) must give the text back.
    struct Fixture {
        var name: String
        var tokenizer: Tokenizer
        var lossless: Bool
        var addedContents: [String]
    }

    static func roundTrip(_ text: String, _ fixture: Fixture) {
        let tokenizer = fixture.tokenizer
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        let withSpecial = tokenizer.encode(text, addSpecialTokens: true)
        for id in ids + withSpecial where id < 0 || Int(id) >= tokenizer.vocabSize {
            fuzzFailure("\(fixture.name): id \(id) outside the vocabulary of \(tokenizer.vocabSize)")
        }
        let decoded = tokenizer.decode(ids, skipSpecialTokens: true)
        _ = tokenizer.decode(withSpecial, skipSpecialTokens: false)
        for id in ids.prefix(16) { _ = tokenizer.tokenBytes(id) }
        let bytes = Array(text.utf8)
        guard fixture.lossless, !fixture.addedContents.contains(where: { contains(bytes, Array($0.utf8)) }) else {
            return
        }
        guard decoded == text else {
            fuzzFailure("\(fixture.name): decode(encode(\(Array(text.utf8)))) = \(Array(decoded.utf8)), ids \(ids)")
        }
    }

    /// Whether `needle` occurs in `haystack` byte for byte (`String.contains` compares characters, so a combining
    /// mark after an added token would hide it).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...haystack.count - needle.count).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// The fixture tokenizers (Tests/Fixtures/tokenizers).
    static let fixtures: [Fixture] = {
        var list = [
            Fixture(
                name: "embedded", tokenizer: .embeddedDefault, lossless: true,
                addedContents: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        ]
        // Byte-level tokenizers without a normalizer or an added prefix space decode to exactly what they encoded.
        let names = [
            ("bytelevel_gpt2", true), ("bytelevel_llama3", true), ("bytelevel_qwen2", false),
            ("bytelevel_digits", false), ("bytelevel_custom_regex", true), ("bytelevel_normalizers", false),
            ("sentencepiece_llama2", false), ("sentencepiece_metaspace", false),
            ("sentencepiece_metaspace_split", false),
        ]
        for (name, lossless) in names {
            let data = FuzzFixtures.data("tokenizers/\(name)/tokenizer.json")
            list.append(
                Fixture(name: name, tokenizer: try! Tokenizer(tokenizerJSON: data, config: nil), lossless: lossless,
                        addedContents: addedContents(data)))
        }
        return list
    }()

    /// The `added_tokens` contents of a tokenizer.json: cut out of the text before BPE (and stripped of the
    /// whitespace around them when `lstrip`/`rstrip`), so texts containing one are not compared.
    static func addedContents(_ json: Data) -> [String] {
        let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any]
        let added = object?["added_tokens"] as? [[String: Any]] ?? []
        return added.compactMap { $0["content"] as? String }
    }
}
