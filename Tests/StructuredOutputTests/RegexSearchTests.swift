import Testing

@testable import StructuredOutput

@Suite("Regex search semantics, simplified")
struct RegexSearchTests {
    /// Every string over `alphabet` up to `length` characters.
    static func strings(_ alphabet: [Character], upTo length: Int) -> [String] {
        var all = [""]
        var layer = [""]
        for _ in 0..<length {
            layer = layer.flatMap { prefix in alphabet.map { prefix + String($0) } }
            all += layer
        }
        return all
    }

    @Test(
        "trimming what an unanchored end absorbs keeps the language (brute force up to 6 characters)",
        arguments: [
            "a{2,4}", "(ab|b+)", "1?a{0,3}b", "(a|b{2,})+1", "x*", "^a{2,3}", "b+$", "(a{2}|1b?){1,3}", "a(b|)",
            "(ab){2,}|1", "^(a|1)*b{1,2}$", "(?:a|b1*){0,2}a+",
        ])
    func trimmedSearchIsExact(pattern: String) throws {
        let simplified = try RegexMatcher(pattern, search: true)
        // The search semantics spelled out, compiled as a full match (nothing is trimmed there).
        var body = Substring(pattern)
        let (startAnchored, endAnchored) = (body.hasPrefix("^"), body.hasSuffix("$"))
        if startAnchored { body.removeFirst() }
        if endAnchored { body.removeLast() }
        let spelled = (startAnchored ? "" : #"[\s\S]*"#) + "(?:\(body))" + (endAnchored ? "" : #"[\s\S]*"#)
        let reference = try RegexMatcher(spelled, search: false)
        for text in Self.strings(["a", "b", "1"], upTo: 6) {
            #expect(simplified.matches(text) == reference.matches(text), "\(pattern) on \(text.debugDescription)")
        }
    }

    @Test(
        "patterns that match every string are recognised",
        arguments: [
            (".*", true), ("^.*", true), ("a*", true), ("(a|b?)", true), ("[\\s\\S]*$", true), ("", true),
            ("a+", false), ("^a*$", false), (".", false), ("^$", false),
        ])
    func universal(pattern: String, expected: Bool) {
        #expect(RegexPattern.matchesEverything(pattern) == expected)
    }

    @Test(
        "a JSON-string class with control characters escapes them as Python writes them, sharing the backslash",
        arguments: [
            (#""\u0001\n\u001f""#, true), (#""\u001F\t""#, true), (#""\u000a""#, false), (#""\/""#, false),
            ("\"\u{01}\"", false),
        ])
    func controlCharacters(text: String, expected: Bool) throws {
        let schema = #"{"type": "string", "pattern": "^[\\u0000-\\u001f]*$"}"#
        #expect(try TestSupport.schemaAccepts(schema, text) == expected)
    }
}
