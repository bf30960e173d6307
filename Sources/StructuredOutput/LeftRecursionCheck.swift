/// Refuses grammars where a rule can call itself before consuming a byte: the matcher would push frames forever.
enum LeftRecursionCheck {
    static func check(_ nfa: ByteNFA) throws {
        let rules = (0..<nfa.ruleStart.count).filter { nfa.ruleStart[$0] >= 0 }
        var nullable = Array(repeating: false, count: nfa.ruleStart.count)
        var changed = true
        while changed {
            changed = false
            for rule in rules where !nullable[rule] {
                let (reachable, _) = emptyReach(nfa, from: nfa.ruleStart[rule], nullable: nullable)
                if reachable.contains(nfa.ruleFinal[rule]) {
                    nullable[rule] = true
                    changed = true
                }
            }
        }
        var leftCalls: [Int: [Int]] = [:]
        for rule in rules {
            leftCalls[rule] = emptyReach(nfa, from: nfa.ruleStart[rule], nullable: nullable).calls
        }
        var state: [Int: Int] = [:]  // 1 visiting, 2 done
        func visit(_ rule: Int) throws {
            state[rule] = 1
            for callee in leftCalls[rule] ?? [] {
                if state[callee] == 1 {
                    throw GrammarError.unsupported("left recursion through rule '\(nfa.ruleNames[callee])'")
                }
                if state[callee] == nil { try visit(callee) }
            }
            state[rule] = 2
        }
        for rule in rules where state[rule] == nil { try visit(rule) }
    }

    /// States reachable without consuming a byte (epsilon edges and calls of nullable rules), and the rules called.
    private static func emptyReach(_ nfa: ByteNFA, from start: Int32, nullable: [Bool]) -> (
        states: Set<Int32>, calls: [Int]
    ) {
        var seen: Set<Int32> = [start]
        var stack = [start]
        var calls: [Int] = []
        while let state = stack.popLast() {
            var next = nfa.epsilonEdges(from: state)
            for call in nfa.callEdges(from: state) {
                calls.append(Int(call.rule))
                if nullable[Int(call.rule)] { next.append(call.target) }
            }
            for target in next where seen.insert(target).inserted {
                if ByteNFA.isVirtual(target) {
                    let region = nfa.regions[nfa.decode(target).region]
                    if region.nullableBody && seen.insert(region.exit).inserted { stack.append(region.exit) }
                    continue
                }
                stack.append(target)
            }
        }
        return (seen, calls)
    }
}
