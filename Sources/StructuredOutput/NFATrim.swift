/// Removes NFA edges that cannot lead to a match, so that every non-empty set of NFA states the matcher reaches can
/// still complete (a token is allowed iff some configuration survives it, with no dead ends to look ahead for).
///
/// One backwards pass from the final states: a state is live if an edge leads to a live state, where a call edge
/// counts only once its rule is productive (its start state live). Linear in the automaton's size.
enum NFATrim {
    static func trim(_ nfa: inout ByteNFA) throws {
        let (live, productive) = liveness(nfa)
        // NOTE: no copy of `nfa` may be alive while its edge arrays are edited (each edit would copy them all).
        let regions = nfa.regions
        let exitOf = { (target: Int32) in regions[ByteNFA.regionIndex(of: target, in: regions)].exit }
        for state in 0..<nfa.stateCount {
            nfa.byteEdges[state].removeAll { !live[Int($0.target)] || $0.bytes.isEmpty }
            nfa.epsilonEdges[state].removeAll { target in
                !live[Int(ByteNFA.isVirtual(target) ? exitOf(target) : target)]
            }
            nfa.callEdges[state].removeAll { !live[Int($0.target)] || !productive[Int($0.rule)] }
        }
        guard live[Int(nfa.ruleStart[Int(nfa.root)])] else {
            throw GrammarError.invalidBounds("the grammar matches no string")
        }
    }

    private static func liveness(_ nfa: ByteNFA) -> (live: [Bool], productive: [Bool]) {
        let count = nfa.stateCount
        // Reverse edges in compressed rows: plain (byte, epsilon, region entry→exit) and calls (with their rule).
        var plainCount = [Int32](repeating: 0, count: count + 1)
        var callCount = [Int32](repeating: 0, count: count + 1)
        func realTarget(_ target: Int32) -> Int32 {
            ByteNFA.isVirtual(target) ? nfa.regions[nfa.decode(target).region].exit : target
        }
        for state in 0..<count {
            for edge in nfa.byteEdges[state] where !edge.bytes.isEmpty { plainCount[Int(edge.target) + 1] += 1 }
            for target in nfa.epsilonEdges[state] { plainCount[Int(realTarget(target)) + 1] += 1 }
            for call in nfa.callEdges[state] { callCount[Int(call.target) + 1] += 1 }
        }
        for i in 0..<count {
            plainCount[i + 1] += plainCount[i]
            callCount[i + 1] += callCount[i]
        }
        var plainSources = [Int32](repeating: 0, count: Int(plainCount[count]))
        var callSources = [(source: Int32, rule: Int32)](repeating: (0, 0), count: Int(callCount[count]))
        var plainFill = plainCount
        var callFill = callCount
        for state in 0..<count {
            for edge in nfa.byteEdges[state] where !edge.bytes.isEmpty {
                plainSources[Int(plainFill[Int(edge.target)])] = Int32(state)
                plainFill[Int(edge.target)] += 1
            }
            for target in nfa.epsilonEdges[state] {
                let real = Int(realTarget(target))
                plainSources[Int(plainFill[real])] = Int32(state)
                plainFill[real] += 1
            }
            for call in nfa.callEdges[state] {
                callSources[Int(callFill[Int(call.target)])] = (Int32(state), call.rule)
                callFill[Int(call.target)] += 1
            }
        }
        var startRule = [Int32](repeating: -1, count: count)
        for (rule, start) in nfa.ruleStart.enumerated() where start >= 0 { startRule[Int(start)] = Int32(rule) }

        var live = [Bool](repeating: false, count: count)
        var productive = [Bool](repeating: false, count: nfa.ruleStart.count)
        var waiting: [Int32: [Int32]] = [:]  // rule -> call sources whose target is live
        var work: [Int32] = []
        func markLive(_ state: Int32) {
            guard !live[Int(state)] else { return }
            live[Int(state)] = true
            work.append(state)
        }
        for final in nfa.ruleFinal where final >= 0 { markLive(final) }
        while let state = work.popLast() {
            for index in Int(plainCount[Int(state)])..<Int(plainCount[Int(state) + 1]) { markLive(plainSources[index]) }
            for index in Int(callCount[Int(state)])..<Int(callCount[Int(state) + 1]) {
                let (source, rule) = callSources[index]
                if productive[Int(rule)] { markLive(source) } else { waiting[rule, default: []].append(source) }
            }
            let rule = startRule[Int(state)]
            if rule >= 0 && !productive[Int(rule)] {
                productive[Int(rule)] = true
                for source in waiting.removeValue(forKey: rule) ?? [] { markLive(source) }
            }
        }
        return (live, productive)
    }
}
