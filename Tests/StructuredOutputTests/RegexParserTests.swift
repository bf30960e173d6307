import Testing

@testable import StructuredOutput

@Suite("RegexParser")
struct RegexParserTests {
    @Test(
        "a generation regex accepts exactly the strings it matches",
        arguments: [
            ("abc", "abc", true), ("abc", "ab", false), ("a|bc", "bc", true), ("a|bc", "ac", false),
            ("a*b", "aaab", true), ("a+b", "b", false), ("colou?r", "color", true), ("colou?r", "colouur", false),
            ("a{2}", "aa", true), ("a{2}", "aaa", false), ("a{2,}", "aaaaa", true), ("a{2,3}", "aaaa", false),
            ("[a-c]+", "cab", true), ("[a-c]+", "cad", false), ("[^0-9]", "x", true), ("[^0-9]", "5", false),
            ("\\d{3}", "123", true), ("\\d{3}", "12a", false), ("\\w+", "a_1", true), ("\\w", "-", false),
            ("\\s", "\t", true), ("\\S", " ", false), ("\\D\\W", "a-", true), ("(?:ab)+", "abab", true),
            ("(?<year>\\d{4})-\\d\\d", "2024-01", true), ("a.c", "a\u{e9}c", true), ("a.c", "a\nc", false),
            ("[\u{e9}-\u{ea}]", "\u{ea}", true), ("\\u00e9", "\u{e9}", true), ("\u{1F600}", "\u{1F600}", true),
            ("^ab$", "ab", true), ("a{", "a{", true), ("x{1,2}?", "x", true), ("[\\]a]", "]", true),
            ("\\.", ".", true), ("\\.", "a", false), ("[.]", "a", false), ("a\\/b", "a/b", true),
        ])
    func generationRegex(pattern: String, text: String, expected: Bool) throws {
        #expect(try TestSupport.matches(pattern, text) == expected)
    }

    @Test(
        "malformed regexes are errors that name the problem and position",
        arguments: [
            ("(ab", "syntax error at position 0: unbalanced '(' in regex"),
            ("ab)", "syntax error at position 2: unbalanced ')' in regex"),
            ("a{100000}", "invalid bounds: repetition count over 10000 at position 1"),
            ("a{3,2}", "syntax error at position 1: repetition {3,2} has min > max"),
            ("*a", "syntax error at position 0: nothing to repeat"),
            ("a**", "syntax error at position 2: multiple repeat"),
            ("[z-a]", "syntax error at position 4: class range out of order"),
            ("[ab", "syntax error at position 0: unterminated character class"),
            ("(?=a)", "unsupported: regex lookahead at position 0"),
            ("(a)\\1", "unsupported: regex escape \\1 at position 3"),
            ("a^b", "unsupported: regex anchor inside the pattern"),
        ])
    func malformed(pattern: String, message: String) {
        #expect {
            _ = try CompiledGrammar(.regex(pattern), vocabulary: TestSupport.bytes)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test("a JSON Schema pattern matches anywhere unless anchored")
    func searchSemantics() throws {
        #expect(try TestSupport.schemaAccepts(#"{"type": "string", "pattern": "b+"}"#, #""abbc""#))
        #expect(try !TestSupport.schemaAccepts(#"{"type": "string", "pattern": "^b+"}"#, #""abb""#))
        #expect(try TestSupport.schemaAccepts(#"{"type": "string", "pattern": "^a|c$"}"#, #""xbc""#))
        #expect(try !TestSupport.schemaAccepts(#"{"type": "string", "pattern": "^a$"}"#, #""ab""#))
    }

    @Test("a pattern is matched against the decoded string, so quotes appear escaped in the JSON text")
    func patternOverEscapes() throws {
        #expect(try TestSupport.schemaAccepts(#"{"type": "string", "pattern": "^a\"b$"}"#, #""a\"b""#))
        #expect(try !TestSupport.schemaAccepts(#"{"type": "string", "pattern": "^a\"b$"}"#, #""a"b""#))
        #expect(try TestSupport.schemaAccepts(#"{"type": "string", "pattern": "^\\n$"}"#, #""\n""#))
    }
}
