import Testing

@testable import StructuredOutput

@Suite("GBNFParser")
struct GBNFParserTests {
    static let arithmetic = """
        # arithmetic with recursion through parentheses
        root ::= expr
        expr ::= term (("+" | "-") term)*
        term ::= num | "(" expr ")"
        num  ::= [0-9]{1,3}
        """

    @Test(
        "a recursive grammar accepts its sentences",
        arguments: [("1+2", true), ("(1+(20-3))", true), ("(1+2", false), ("1234", false), ("", false)])
    func recursion(text: String, expected: Bool) throws {
        #expect(try TestSupport.accepts(.gbnf(Self.arithmetic), text) == expected)
    }

    @Test("literals with escapes, negated classes and continuation lines")
    func literalsAndClasses() throws {
        let grammar = "root ::= \"a\\n\" [^a-z]\n    \"\\x41\" | \"b\""
        #expect(try TestSupport.accepts(.gbnf(grammar), "a\n1A"))
        #expect(try TestSupport.accepts(.gbnf(grammar), "b"))
        #expect(try !TestSupport.accepts(.gbnf(grammar), "a\nzA"))
    }

    @Test(
        "malformed grammars are errors with a reason",
        arguments: [
            ("root ::= (\"a\"", "syntax error at position 9: unbalanced '(' in grammar"),
            ("root ::= x", "syntax error at position 9: undefined rule 'x'"),
            ("start ::= \"a\"", "syntax error at position 0: no rule named root"),
            ("root ::= \"a\"{100000}", "invalid bounds: repetition count over 10000 at position 12"),
            ("root ::= root \"a\" | \"b\"", "unsupported: left recursion through rule 'root'"),
        ])
    func errors(grammar: String, message: String) {
        #expect {
            _ = try CompiledGrammar(.gbnf(grammar), vocabulary: TestSupport.bytes)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test("a choice list accepts exactly its strings")
    func choice() throws {
        #expect(try TestSupport.accepts(.choice(["yes", "no", "maybe"]), "no"))
        #expect(try !TestSupport.accepts(.choice(["yes", "no", "maybe"]), "n"))
        #expect(try !TestSupport.accepts(.choice(["yes", "no", "maybe"]), "yesno"))
    }
}
