/// Removes NFA edges that cannot lead to a match, so that every non-empty set of NFA states the matcher reaches can
/// still complete (a token is allowed iff some configuration survives it, with no dead ends to look ahead for).
///
/// One backwards pass from the final states over the states `from…` (a fragment built after the rest): a state is
/// live if an edge leads to a live state, where a call edge counts if its rule is productive (from `GrammarAnalysis`)
/// and its return state is live. Linear in the fragment's size.
enum NFATrim {
    static func trim(_ nfa: inout ByteNFA, productive: [Bool], from first: Int = 0) {
        let live = liveness(nfa, productive: productive, from: first)
        // NOTE: no copy of `nfa` may be alive while its edge arrays are edited (each edit would copy them all).
        let regions = nfa.regions
        let exitOf = { (target: Int32) in regions[ByteNFA.regionIndex(of: target, in: regions)].exit }
        let isLive = { (state: Int32) in state < first || live[Int(state) - first] }
        // Most fragments have no dead state: then only calls to unproductive rules go (and edits, which copy-check
        // every edge array, are skipped).
        let allLive = !live.contains(false)
        for state in first..<nfa.stateCount {
            if !allLive || nfa.byteEdges[state].contains(where: { $0.bytes.isEmpty }) {
                nfa.byteEdges[state].removeAll { !isLive($0.target) || $0.bytes.isEmpty }
            }
            if !allLive {
                nfa.epsilonEdges[state].removeAll { target in
                    !isLive(ByteNFA.isVirtual(target) ? exitOf(target) : target)
                }
            }
            if !nfa.callEdges[state].isEmpty {
                nfa.callEdges[state].removeAll { !isLive($0.target) || !productive[Int($0.rule)] }
            }
        }
    }

    /// Whether `state` (of the trimmed range) can still complete its rule.
    static func isLive(_ nfa: ByteNFA, _ state: Int32) -> Bool {
        !nfa.byteEdges[Int(state)].isEmpty || !nfa.epsilonEdges[Int(state)].isEmpty
            || !nfa.callEdges[Int(state)].isEmpty || nfa.ruleFinal.contains(state)
    }

    /// Liveness of the states `first…`, indexed from `first`; edges only lead within the range.
    private static func liveness(_ nfa: ByteNFA, productive: [Bool], from first: Int) -> [Bool] {
        let count = nfa.stateCount - first
        // Reverse edges in compressed rows: plain (byte, epsilon, region entry→exit) and calls (with their rule).
        var plainCount = [Int32](repeating: 0, count: count + 1)
        var callCount = [Int32](repeating: 0, count: count + 1)
        func realTarget(_ target: Int32) -> Int32 {
            ByteNFA.isVirtual(target) ? nfa.regions[nfa.decode(target).region].exit : target
        }
        for state in first..<nfa.stateCount {
            for edge in nfa.byteEdges[state] where !edge.bytes.isEmpty { plainCount[Int(edge.target) - first + 1] += 1 }
            for target in nfa.epsilonEdges[state] { plainCount[Int(realTarget(target)) - first + 1] += 1 }
            for call in nfa.callEdges[state] { callCount[Int(call.target) - first + 1] += 1 }
        }
        for i in 0..<count {
            plainCount[i + 1] += plainCount[i]
            callCount[i + 1] += callCount[i]
        }
        var plainSources = [Int32](repeating: 0, count: Int(plainCount[count]))
        var callSources = [(source: Int32, rule: Int32)](repeating: (0, 0), count: Int(callCount[count]))
        var plainFill = plainCount
        var callFill = callCount
        for state in first..<nfa.stateCount {
            let local = Int32(state - first)
            for edge in nfa.byteEdges[state] where !edge.bytes.isEmpty {
                let target = Int(edge.target) - first
                plainSources[Int(plainFill[target])] = local
                plainFill[target] += 1
            }
            for target in nfa.epsilonEdges[state] {
                let real = Int(realTarget(target)) - first
                plainSources[Int(plainFill[real])] = local
                plainFill[real] += 1
            }
            for call in nfa.callEdges[state] {
                let target = Int(call.target) - first
                callSources[Int(callFill[target])] = (local, call.rule)
                callFill[target] += 1
            }
        }
        var live = [Bool](repeating: false, count: count)
        var work: [Int32] = []
        func markLive(_ local: Int32) {
            guard !live[Int(local)] else { return }
            live[Int(local)] = true
            work.append(local)
        }
        for final in nfa.ruleFinal where Int(final) >= first { markLive(final - Int32(first)) }
        while let local = work.popLast() {
            for index in Int(plainCount[Int(local)])..<Int(plainCount[Int(local) + 1]) { markLive(plainSources[index]) }
            for index in Int(callCount[Int(local)])..<Int(callCount[Int(local) + 1]) {
                let (source, rule) = callSources[index]
                if productive[Int(rule)] { markLive(source) }
            }
        }
        return live
    }
}
