import Testing

@testable import StructuredOutput

@Suite("GrammarMatcher")
struct GrammarMatcherTests {
    /// A token is in the mask iff feeding its bytes keeps the matcher alive (EOS iff it can end).
    func checkMaskAgainstBruteForce(_ matcher: GrammarMatcher, _ vocabulary: TokenVocabulary, _ tokens: [[UInt8]]) {
        var mask: [UInt32] = []
        matcher.fillMask(into: &mask)
        for (id, bytes) in tokens.enumerated() {
            let bit = mask[id >> 5] >> UInt32(id & 31) & 1 == 1
            if vocabulary.eosTokenIDs.contains(id) {
                #expect(bit == matcher.canEnd, "EOS bit")
                continue
            }
            let alive = !bytes.isEmpty && matcher.accept(bytes: bytes)
            if alive { matcher.rollback(count: 1) }
            #expect(bit == alive, "token \(id) \(bytes) mask \(bit) brute force \(alive)")
        }
    }

    @Test("masks equal brute force over random grammars, vocabularies and walks (seeded)")
    func masksMatchBruteForce() throws {
        var random = SplitMix64(state: 42)
        let alphabet = Array("ab{}[],\" 0".utf8)
        let grammars = [
            "root ::= \"a\" root \"b\" | \"\"",
            "root ::= (\"[\" root (\",\" root)* \"]\") | \"0\"",
            "root ::= \"{\" \"\\\"\" [ab]* \"\\\"\" \"}\" | \"a\"+ \"b\"?",
            "root ::= x x\nx ::= \"a\" | \"b\" x \"]\"",
            "root ::= [ab]{2,4} (\" \" root)?",
        ]
        for (index, text) in grammars.enumerated() {
            var tokens: [[UInt8]] = (0..<40).map { _ in
                (0..<Int.random(in: 1...4, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            }
            tokens += alphabet.map { [$0] }
            tokens.append(Array("<eos>".utf8))
            let vocabulary = TokenVocabulary(tokenBytes: tokens, eosTokenIDs: [tokens.count - 1])
            let matcher = try CompiledGrammar(.gbnf(text), vocabulary: vocabulary).makeMatcher()
            for _ in 0..<12 {
                checkMaskAgainstBruteForce(matcher, vocabulary, tokens)
                var mask: [UInt32] = []
                matcher.fillMask(into: &mask)
                let allowed = TestSupport.allowed(mask).filter { !vocabulary.eosTokenIDs.contains($0) }
                guard let next = allowed.randomElement(using: &random) else { break }
                #expect(matcher.accept(token: next), "grammar \(index)")
            }
        }
    }

    @Test("fragments built on first call give the same masks as fragments built up front (seeded)")
    func lazyFragmentsMatchEager() throws {
        var random = SplitMix64(state: 11)
        let alphabet = Array("{}[]:,\"ab01 ".utf8)
        var tokens: [[UInt8]] = (0..<80).map { _ in
            (0..<Int.random(in: 1...4, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
        }
        tokens += alphabet.map { [$0] }
        tokens.append(Array("<eos>".utf8))
        let vocabulary = TokenVocabulary(tokenBytes: tokens, eosTokenIDs: [tokens.count - 1])
        let schema = ##"{"type": "object", "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$defs": {"n": {"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"a": {"$ref": "#/$defs/n"}}}]}}}"##
        let definition = try CompiledGrammar.definition(.jsonSchema(schema))
        let lazy = try ByteNFABuilder.prepare(definition, eagerBudget: 0)
        let eager = try ByteNFABuilder.prepare(definition, eagerBudget: Int.max)
        let lazyMatcher = GrammarMatcher(runtime: GrammarRuntime(nfa: lazy.nfa, builder: lazy, vocabulary: vocabulary))
        let eagerMatcher = GrammarMatcher(runtime: GrammarRuntime(nfa: eager.nfa, builder: nil, vocabulary: vocabulary))
        for _ in 0..<30 {
            var lazyMask: [UInt32] = []
            var eagerMask: [UInt32] = []
            lazyMatcher.fillMask(into: &lazyMask)
            eagerMatcher.fillMask(into: &eagerMask)
            #expect(lazyMask == eagerMask)
            let allowed = TestSupport.allowed(eagerMask).filter { $0 != tokens.count - 1 }
            guard let next = allowed.randomElement(using: &random) else { break }
            #expect(lazyMatcher.accept(token: next) && eagerMatcher.accept(token: next))
        }
        #expect(lazyMatcher.acceptedTokenCount > 5)
    }

    @Test("rollback restores the exact mask")
    func rollbackRestoresMask() throws {
        let vocabulary = TestSupport.byteVocabulary(extra: ["ab", "ba", "\"a"])
        let matcher = try CompiledGrammar(.gbnf("root ::= (\"a\" | \"b\")* \"!\""), vocabulary: vocabulary)
            .makeMatcher()
        var before: [UInt32] = []
        matcher.fillMask(into: &before)
        #expect(matcher.accept(token: Int(UInt8(ascii: "a"))))
        #expect(matcher.accept(token: 256))
        var after: [UInt32] = []
        matcher.rollback(count: 2)
        matcher.fillMask(into: &after)
        #expect(after == before)
        #expect(matcher.acceptedTokenCount == 0)
    }

    @Test("EOS is allowed only where the grammar can end, and special tokens never")
    func eosAndSpecialTokens() throws {
        let tokens: [[UInt8]] = [Array("a".utf8), Array("b".utf8), Array("<s>".utf8), Array("<eos>".utf8)]
        let vocabulary = TokenVocabulary(tokenBytes: tokens, eosTokenIDs: [3], specialTokenIDs: [2])
        let matcher = try CompiledGrammar(.regex("ab?"), vocabulary: vocabulary).makeMatcher()
        var mask: [UInt32] = []
        matcher.fillMask(into: &mask)
        #expect(TestSupport.allowed(mask) == [0])
        #expect(!matcher.accept(token: 3))
        #expect(!matcher.accept(token: 2))
        #expect(matcher.accept(token: 0))
        matcher.fillMask(into: &mask)
        #expect(TestSupport.allowed(mask) == [1, 3])
        #expect(matcher.accept(token: 3))
        #expect(matcher.isTerminated)
        matcher.fillMask(into: &mask)
        #expect(TestSupport.allowed(mask) == [3])
    }

    @Test("a rejected token leaves the state unchanged")
    func rejectedTokenKeepsState() throws {
        let matcher = try CompiledGrammar(.choice(["yes", "no"]), vocabulary: TestSupport.bytes).makeMatcher()
        #expect(matcher.accept(bytes: Array("ye".utf8)))
        #expect(!matcher.accept(bytes: Array("x".utf8)))
        #expect(matcher.accept(bytes: Array("s".utf8)))
        #expect(matcher.canEnd)
    }
}
