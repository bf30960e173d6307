import Testing

@testable import StructuredOutput

@Suite("Counted regions")
struct CountedRegionTests {
    @Test("a long bounded repetition keeps its exact count without unrolling", arguments: [0, 1, 29, 30, 31, 500])
    func exactCount(length: Int) throws {
        let grammar = try CompiledGrammar(.regex("(?:ab|c){30}x{0,3}"), vocabulary: TestSupport.bytes)
        #expect(grammar.automatonStateCount < 60)
        let matcher = grammar.makeMatcher()
        let text = String(repeating: "ab", count: length) + "x"
        #expect((matcher.accept(bytes: Array(text.utf8)) && matcher.canEnd) == (length == 30))
    }

    @Test("maxLength 20000 compiles small and still rejects the 20001st character")
    func hugeMaxLength() throws {
        let grammar = try CompiledGrammar(
            .jsonSchema(#"{"type": "string", "maxLength": 20000}"#), vocabulary: TestSupport.bytes)
        #expect(grammar.automatonStateCount < 100)
        let matcher = grammar.makeMatcher()
        #expect(matcher.accept(bytes: Array(("\"" + String(repeating: "é", count: 20_000)).utf8)))
        #expect(!matcher.accept(bytes: Array("a".utf8)))
        #expect(matcher.accept(bytes: Array("\"".utf8)))
        #expect(matcher.canEnd)
    }

    @Test(
        "objects in a long array are one counted region (their member lists are self-contained)",
        arguments: [(25, false), (26, true), (1000, true), (1001, false)])
    func arrayOfObjects(items: Int, expected: Bool) throws {
        let schema = #"""
            {"type": "array", "minItems": 26, "maxItems": 1000, "items": {"type": "object",
             "properties": {"id": {"type": "integer"}, "tag": {"enum": ["x", "y"]}}, "required": ["id"],
             "additionalProperties": false}}
            """#
        let grammar = try CompiledGrammar(.jsonSchema(schema), vocabulary: TestSupport.bytes)
        #expect(grammar.automatonStateCount < 2_000)
        let text = "[" + (0..<items).map { #"{"id": \#($0), "tag": "y"}"# }.joined(separator: ", ") + "]"
        let matcher = grammar.makeMatcher()
        #expect((matcher.accept(bytes: Array(text.utf8)) && matcher.canEnd) == expected)
        #expect(!grammar.makeMatcher().accept(bytes: Array(#"[{"id": 1, "other": 2}"#.utf8)))
    }

    @Test("masks inside a counted region equal brute force at every position near the bound (seeded)")
    func masksNearTheBound() throws {
        var random = SplitMix64(state: 3)
        let alphabet = Array("ab\"".utf8)
        var tokens: [[UInt8]] = (0..<60).map { _ in
            (0..<Int.random(in: 1...5, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
        }
        tokens += alphabet.map { [$0] }
        tokens.append(Array("<eos>".utf8))
        let vocabulary = TokenVocabulary(tokenBytes: tokens, eosTokenIDs: [tokens.count - 1])
        let schema = #"{"type": "string", "minLength": 28, "maxLength": 40, "pattern": "^[ab]*$"}"#
        let matcher = try CompiledGrammar(.jsonSchema(schema), vocabulary: vocabulary).makeMatcher()
        #expect(matcher.accept(token: tokens.firstIndex(of: [UInt8(ascii: "\"")])!))
        for _ in 0..<45 {
            var mask: [UInt32] = []
            matcher.fillMask(into: &mask)
            for (id, bytes) in tokens.enumerated() where id != tokens.count - 1 {
                let alive = matcher.accept(bytes: bytes)
                if alive { matcher.rollback(count: 1) }
                #expect(
                    (mask[id >> 5] >> UInt32(id & 31) & 1 == 1) == alive, "token \(id) at \(matcher.acceptedTokenCount)"
                )
            }
            if !matcher.accept(token: tokens.firstIndex(of: [UInt8(ascii: "a")])!) { break }
        }
        #expect(matcher.acceptedTokenCount == 41)
    }
}
