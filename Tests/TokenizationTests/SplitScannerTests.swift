import Foundation
import Testing
@testable import Tokenization

/// The hand-written scanners must split exactly like the regexes they replace.
@Suite("Split scanners agree with the regexes")
struct SplitScannerTests {
    static let alphabet: [String] = [
        " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u{0C}", "\u{0B}", "\u{85}", "\u{A0}", "\u{3000}", "\u{2028}",
        "'", "s", "S", "t", "re", "VE", "ll", "m", "d", "a", "Z", "é", "e\u{301}", "ß",
        "1", "23", "456", "٣", "５", "²", "½", "Ⅻ",
        ".", ",", "!", "?", "-", "_", "(", ")", "#", "$", "«", "»",
        "你", "好", "こ", "カ", "한", "Ж", "λ", "ا", "न", "\u{94D}", "\u{93E}",
        "😀", "👍🏽", "👨‍👩‍👧", "\u{200B}", "\u{E000}",
    ]

    static let cases: [(SplitScanner.Kind, String)] = [
        (.gpt2, SplitPattern.gpt2Regex), (.llama3, SplitPattern.llama3Regex), (.qwen2, SplitPattern.qwen2Regex),
    ]

    static func regexMatches(_ pattern: String, _ text: String) throws -> [Range<Int>] {
        let regex = SplitPattern.regex(.init(regex: try NSRegularExpression(pattern: SplitPattern.oniguruma(pattern))))
        return Array(text.utf8).withUnsafeBufferPointer { regex.matches(in: $0) }
    }

    static func scannerMatches(_ kind: SplitScanner.Kind, _ text: String) -> [Range<Int>] {
        Array(text.utf8).withUnsafeBufferPointer { SplitScanner(kind: kind, bytes: $0).matches() }
    }

    @Test("on random strings of tricky characters", arguments: [0, 1, 2])
    func randomStrings(index: Int) throws {
        let (kind, pattern) = Self.cases[index]
        var state: UInt64 = 42 &+ UInt64(index)
        for _ in 0..<400 {
            var text = ""
            state = state &* 6_364_136_223_846_793_005 &+ 1
            for _ in 0..<Int(state >> 59) + 1 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                text += Self.alphabet[Int(state >> 33) % Self.alphabet.count]
            }
            #expect(Self.scannerMatches(kind, text) == (try Self.regexMatches(pattern, text)),
                    "\(kind): \(text.debugDescription)")
        }
    }

    @Test("on the fixture corpus", arguments: [0, 1, 2])
    func corpus(index: Int) throws {
        let (kind, pattern) = Self.cases[index]
        for item in try Fixtures.expectations("bytelevel_llama3").cases {
            #expect(Self.scannerMatches(kind, item.text) == (try Self.regexMatches(pattern, item.text)),
                    "\(kind): \(item.text.debugDescription)")
        }
    }

    @Test("Llama 3 keeps at most three digits together; Qwen2 one")
    func digits() {
        let text = "1234567"
        let pieces = { (kind: SplitScanner.Kind) in
            Self.scannerMatches(kind, text).map { String(decoding: Array(text.utf8)[$0], as: UTF8.self) }
        }
        #expect(pieces(.llama3) == ["123", "456", "7"])
        #expect(pieces(.qwen2) == ["1", "2", "3", "4", "5", "6", "7"])
        #expect(pieces(.gpt2) == ["1234567"])
    }

    @Test("the Llama 3 and Qwen2 fixture patterns are recognised and use the scanner")
    func fixturePatternsUseScanner() throws {
        for (name, kind) in [("bytelevel_llama3", SplitScanner.Kind.llama3), ("bytelevel_qwen2", .qwen2)] {
            let tokenizer = try Fixtures.tokenizer(name)
            guard case .sequence(let list)? = tokenizer.preTokenizer, case .split(.scanner(let found), _) = list[0]
            else {
                Issue.record("\(name) does not use a scanner")
                continue
            }
            #expect(found == kind)
        }
    }
}
