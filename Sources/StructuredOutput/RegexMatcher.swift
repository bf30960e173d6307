/// Tests whole strings against a regex by simulating its byte NFA (no DFA, no caching): for checking property
/// names and listed values at compile time, not for generation.
struct RegexMatcher {
    private let nfa: ByteNFA

    /// `search`: JSON Schema `pattern` semantics (a match anywhere unless anchored).
    init(_ pattern: String, search: Bool) throws {
        var grammar = GrammarDefinition()
        grammar.root = grammar.addRule(
            named: "root", try RegexPattern.compile(pattern, encoding: .utf8, search: search))
        nfa = try ByteNFABuilder.build(grammar)
    }

    func matches(_ text: String) -> Bool {
        let root = Int(nfa.root)
        var states = nfa.closure([nfa.ruleStart[root]])
        for byte in text.utf8 {
            var next: [Int32] = []
            for state in states {
                for edge in nfa.byteEdges(from: state) where edge.bytes.contains(byte) { next.append(edge.target) }
            }
            if next.isEmpty { return false }
            states = nfa.closure(next)
        }
        return states.contains(nfa.ruleFinal[root])
    }
}
