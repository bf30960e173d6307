import Testing

@testable import StructuredOutput

@Suite("IntegerRange")
struct IntegerRangeTests {
    func accepted(_ low: Int64?, _ high: Int64?, in range: ClosedRange<Int64>) throws -> [Int64] {
        var grammar = GrammarDefinition()
        grammar.root = grammar.addRule(named: "root", IntegerRange.expr(low: low, high: high))
        let nfa = try ByteNFABuilder.build(grammar)
        let matcher = GrammarMatcher(runtime: GrammarRuntime(nfa: nfa, vocabulary: TestSupport.bytes))
        return range.filter { value in
            defer { matcher.reset() }
            return matcher.accept(bytes: Array(String(value).utf8)) && matcher.canEnd
        }
    }

    @Test("integers between 7 and 123 are exactly 7…123")
    func positiveRange() throws {
        #expect(try accepted(7, 123, in: -200...1200) == Array(7...123))
    }

    @Test("a range across zero includes negatives, zero and positives")
    func acrossZero() throws {
        #expect(try accepted(-123, 7, in: -1200...200) == Array(-123...7))
    }

    @Test("negative-only and one-sided ranges")
    func oneSided() throws {
        #expect(try accepted(-20, -7, in: -300...300) == Array(-20 ... -7))
        #expect(try accepted(95, nil, in: -300...300) == Array(95...300))
        #expect(try accepted(nil, -95, in: -300...300) == Array(-300 ... -95))
    }

    @Test("leading zeros and minus zero are not integers here")
    func noLeadingZeros() throws {
        let matcher = try CompiledGrammar(
            .jsonSchema(#"{"type": "integer", "minimum": 0}"#), vocabulary: TestSupport.bytes
        )
        .makeMatcher()
        #expect(!matcher.accept(bytes: Array("007".utf8)) || !matcher.canEnd)
        matcher.reset()
        #expect(!matcher.accept(bytes: Array("-0".utf8)))
    }

    @Test("a 16-digit bound stays small and exact at its edges")
    func longBounds() throws {
        let schema = #"{"type": "number", "minimum": 0, "maximum": 9007199254740991}"#
        let grammar = try CompiledGrammar(.jsonSchema(schema), vocabulary: TestSupport.bytes)
        #expect(grammar.automatonStateCount < 2_000)
        for (text, expected) in [
            ("9007199254740991", true), ("9007199254740992", false), ("8999999999999999.5", true),
            ("9007199254740991.0", true), ("9007199254740991.01", false), ("10000000000000000", false),
        ] {
            let matcher = grammar.makeMatcher()
            #expect((matcher.accept(bytes: Array(text.utf8)) && matcher.canEnd) == expected, "\(text)")
        }
    }
}
