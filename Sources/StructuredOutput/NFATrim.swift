/// Removes NFA edges that cannot lead to a match, so that every non-empty set of NFA states the matcher reaches can
/// still complete (a token is allowed iff some configuration survives it, with no dead ends to look ahead for).
enum NFATrim {
    static func trim(_ nfa: inout ByteNFA) throws {
        let productive = productiveRules(nfa)
        let live = coreachable(nfa, productive: productive)
        let regionExits = nfa.regions.map(\.exit)
        let frozen = nfa
        let decode = { (target: Int32) in regionExits[frozen.decode(target).region] }
        for state in 0..<nfa.stateCount {
            nfa.byteEdges[state].removeAll { !live[Int($0.target)] || $0.bytes.isEmpty }
            nfa.epsilonEdges[state].removeAll { target in
                ByteNFA.isVirtual(target) ? !live[Int(decode(target))] : !live[Int(target)]
            }
            nfa.callEdges[state].removeAll { !live[Int($0.target)] || !productive[Int($0.rule)] }
        }
        guard live[Int(nfa.ruleStart[Int(nfa.root)])] else {
            throw GrammarError.invalidBounds("the grammar matches no string")
        }
    }

    private static func productiveRules(_ nfa: ByteNFA) -> [Bool] {
        var productive = Array(repeating: false, count: nfa.ruleStart.count)
        var changed = true
        while changed {
            changed = false
            for rule in 0..<nfa.ruleStart.count where nfa.ruleStart[rule] >= 0 && !productive[rule] {
                if reaches(nfa, from: nfa.ruleStart[rule], to: nfa.ruleFinal[rule], productive: productive) {
                    productive[rule] = true
                    changed = true
                }
            }
        }
        return productive
    }

    private static func reaches(_ nfa: ByteNFA, from start: Int32, to final: Int32, productive: [Bool]) -> Bool {
        var seen: Set<Int32> = [start]
        var stack = [start]
        while let state = stack.popLast() {
            if state == final { return true }
            var next = nfa.epsilonEdges[Int(state)].map { ByteNFA.isVirtual($0) ? nfa.regions[nfa.decode($0).region].exit : $0 }
            next += nfa.byteEdges[Int(state)].filter { !$0.bytes.isEmpty }.map(\.target)
            next += nfa.callEdges[Int(state)].filter { productive[Int($0.rule)] }.map(\.target)
            for target in next where seen.insert(target).inserted { stack.append(target) }
        }
        return false
    }

    /// States from which their rule's final state is reachable (backwards search from every final state).
    private static func coreachable(_ nfa: ByteNFA, productive: [Bool]) -> [Bool] {
        var reverse: [[Int32]] = Array(repeating: [], count: nfa.stateCount)
        let regionExits = nfa.regions.map(\.exit)
        let frozen = nfa
        let decode = { (target: Int32) in regionExits[frozen.decode(target).region] }
        for state in 0..<nfa.stateCount {
            for edge in nfa.byteEdges[state] where !edge.bytes.isEmpty { reverse[Int(edge.target)].append(Int32(state)) }
            for target in nfa.epsilonEdges[state] {
                // A region's entry is live if its exit is (the body is trimmed on its own and matches something).
                let real = ByteNFA.isVirtual(target) ? nfa.regions[nfa.decode(target).region].exit : target
                reverse[Int(real)].append(Int32(state))
            }
            for call in nfa.callEdges[state] where productive[Int(call.rule)] {
                reverse[Int(call.target)].append(Int32(state))
            }
        }
        var live = Array(repeating: false, count: nfa.stateCount)
        var stack = nfa.ruleFinal.filter { $0 >= 0 }
        for state in stack { live[Int(state)] = true }
        while let state = stack.popLast() {
            for previous in reverse[Int(state)] where !live[Int(previous)] {
                live[Int(previous)] = true
                stack.append(previous)
            }
        }
        return live
    }
}
