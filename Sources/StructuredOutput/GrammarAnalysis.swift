/// Facts about a grammar's rules computed on expressions (before any automaton exists): which rules can match
/// something, which can match the empty string, and whether a rule can call itself before consuming a byte (left
/// recursion, refused: the matcher would push frames forever).
struct GrammarAnalysis: Sendable {
    let productive: [Bool]
    let nullable: [Bool]

    init(_ grammar: GrammarDefinition) throws {
        let count = grammar.rules.count
        var productive = Array(repeating: false, count: count)
        var nullable = Array(repeating: false, count: count)
        var changed = true
        while changed {
            changed = false
            for rule in 0..<count {
                if !productive[rule] && Self.productive(grammar.rules[rule], productive) {
                    productive[rule] = true
                    changed = true
                }
                if !nullable[rule] && Self.nullable(grammar.rules[rule], nullable) {
                    nullable[rule] = true
                    changed = true
                }
            }
        }
        self.productive = productive
        self.nullable = nullable
        try checkLeftRecursion(grammar)
    }

    /// Whether some string matches (intersections and shared tails are assumed to; their automata are trimmed).
    private static func productive(_ expr: GrammarExpr, _ rules: [Bool]) -> Bool {
        switch expr {
        case .bytes(let set): !set.isEmpty
        case .characters(let set): !set.isEmpty
        case .sequence(let parts): parts.allSatisfy { productive($0, rules) }
        case .choice(let parts): parts.contains { productive($0, rules) }
        case .repeat(let body, let min, let max): min == 0 || max == 0 || productive(body, rules)
        case .rule(let rule): rules[rule]
        case .intersection, .excluding, .sharedTail: true
        case .sharedScope(_, let body): productive(body, rules)
        }
    }

    private static func nullable(_ expr: GrammarExpr, _ rules: [Bool]) -> Bool {
        switch expr {
        case .bytes, .characters, .intersection, .excluding: false
        case .sequence(let parts): parts.allSatisfy { nullable($0, rules) }
        case .choice(let parts): parts.contains { nullable($0, rules) }
        case .repeat(let body, let min, _): min == 0 || nullable(body, rules)
        case .rule(let rule): rules[rule]
        case .sharedTail: true
        case .sharedScope(_, let body): nullable(body, rules)
        }
    }

    /// Rules an expression may call before consuming a byte.
    private func firstCalls(_ expr: GrammarExpr, into calls: inout Set<Int>) {
        switch expr {
        case .bytes, .characters, .intersection, .excluding, .sharedTail: break
        case .sequence(let parts):
            for part in parts {
                firstCalls(part, into: &calls)
                if !Self.nullable(part, nullable) { break }
            }
        case .choice(let parts): for part in parts { firstCalls(part, into: &calls) }
        case .repeat(let body, _, let max): if max != 0 { firstCalls(body, into: &calls) }
        case .rule(let rule): calls.insert(rule)
        case .sharedScope(_, let body): firstCalls(body, into: &calls)
        }
    }

    private func checkLeftRecursion(_ grammar: GrammarDefinition) throws {
        let leftCalls = grammar.rules.map { body -> [Int] in
            var calls = Set<Int>()
            firstCalls(body, into: &calls)
            return calls.sorted()
        }
        var state = Array(repeating: 0, count: grammar.rules.count)  // 1 visiting, 2 done
        func visit(_ rule: Int) throws {
            state[rule] = 1
            for callee in leftCalls[rule] {
                if state[callee] == 1 {
                    throw GrammarError.unsupported("left recursion through rule '\(grammar.names[callee])'")
                }
                if state[callee] == 0 { try visit(callee) }
            }
            state[rule] = 2
        }
        for rule in grammar.rules.indices where state[rule] == 0 { try visit(rule) }
    }
}
