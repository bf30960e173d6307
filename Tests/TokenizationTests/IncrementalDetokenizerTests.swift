import Foundation
import ServingCore
import Testing
@testable import Tokenization

@Suite("Incremental detokenizer")
struct IncrementalDetokenizerTests {
    /// Feeds `output` one id at a time and returns every delta, plus the final flush.
    static func stream(_ tokenizer: Tokenizer, prompt: [TokenID], output: [TokenID], skip: Bool = true)
        -> (deltas: [String], flushed: String)
    {
        var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer, promptTokenIDs: prompt, skipSpecialTokens: skip)
        let deltas = output.map { detokenizer.add($0) }
        return (deltas, detokenizer.finish())
    }

    /// What the deltas must add up to: the text of prompt + output past the text of the prompt.
    static func expectedGrowth(_ tokenizer: Tokenizer, prompt: [TokenID], output: [TokenID]) -> String {
        let whole = tokenizer.decode(prompt + output).unicodeScalars
        let head = tokenizer.decode(prompt).unicodeScalars.count
        return String(String.UnicodeScalarView(whole.dropFirst(head)))
    }

    @Test("the deltas of every corpus line add up to its decoded text", arguments: Fixtures.names)
    func deltasAddUp(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for prompt in ["", "Question: what is it?"] {
            let promptIDs = tokenizer.encode(prompt)
            for item in try Fixtures.expectations(name).cases {
                let output = tokenizer.encode(item.text, addSpecialTokens: false)
                let (deltas, flushed) = Self.stream(tokenizer, prompt: promptIDs, output: output)
                #expect(deltas.joined() + flushed == Self.expectedGrowth(tokenizer, prompt: promptIDs, output: output),
                        "\(name): \(item.text.debugDescription)")
                #expect(!deltas.contains { $0.unicodeScalars.contains("\u{FFFD}") },
                        "\(name): a delta leaked a partial character for \(item.text.debugDescription)")
            }
        }
    }

    @Test("an emoji split into byte tokens appears only once its last byte arrives")
    func emojiHeldBack() throws {
        let tokenizer = try Fixtures.tokenizer("sentencepiece_llama2")
        let ids = ["<0xF0>", "<0x9F>", "<0x91>", "<0x8B>"].map { tokenizer.tokenToID($0)! }
        let (deltas, flushed) = Self.stream(tokenizer, prompt: tokenizer.encode("Hi"), output: ids)
        #expect(deltas == ["", "", "", "👋"])
        #expect(flushed == "")
    }

    @Test("byte-level CJK split across tokens never emits a partial character")
    func cjkHeldBack() throws {
        let tokenizer = Tokenizer.embeddedDefault
        let text = "你好，世界！😀"
        let ids = tokenizer.encode(text)
        #expect(ids.count > text.unicodeScalars.count, "the 512-token vocabulary splits these characters into bytes")
        let (deltas, flushed) = Self.stream(tokenizer, prompt: [], output: ids)
        #expect(deltas.joined() + flushed == text)
        #expect(deltas.filter { !$0.isEmpty }.count == text.unicodeScalars.count)
    }

    @Test("finish flushes an incomplete character as U+FFFD")
    func finishFlushes() throws {
        let tokenizer = try Fixtures.tokenizer("sentencepiece_llama2")
        let ids = ["<0xF0>", "<0x9F>"].map { tokenizer.tokenToID($0)! }
        let (deltas, flushed) = Self.stream(tokenizer, prompt: [], output: ids)
        #expect(deltas == ["", ""])
        #expect(flushed == "\u{FFFD}\u{FFFD}")
    }

    @Test("SentencePiece words after the prompt keep their leading space")
    func sentencePieceLeadingSpace() throws {
        let tokenizer = try Fixtures.tokenizer("sentencepiece_llama2")
        let output = tokenizer.encode("Hello world", addSpecialTokens: false)
        let (deltas, _) = Self.stream(tokenizer, prompt: tokenizer.encode("Say"), output: output)
        #expect(deltas.joined() == " Hello world")
        let (fromStart, _) = Self.stream(tokenizer, prompt: [], output: output)
        #expect(fromStart.joined() == "Hello world")
    }

    @Test("special tokens are silent when skipped and rendered otherwise")
    func specialTokens() {
        let tokenizer = Tokenizer.embeddedDefault
        let output = tokenizer.encode("ok") + [2]
        #expect(Self.stream(tokenizer, prompt: [1], output: output).deltas.joined() == "ok")
        #expect(Self.stream(tokenizer, prompt: [1], output: output, skip: false).deltas.joined() == "ok<|im_end|>")
    }

    @Test("outputText accumulates the deltas over a long generation")
    func longGeneration() throws {
        let tokenizer = try Fixtures.tokenizer("bytelevel_llama3")
        let text = String(repeating: "Streaming text, 流式文本 🚀 ", count: 200)
        var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer, promptTokenIDs: tokenizer.encode("Go:"))
        for id in tokenizer.encode(text, addSpecialTokens: false) { _ = detokenizer.add(id) }
        _ = detokenizer.finish()
        #expect(detokenizer.outputText == text)
    }
}
