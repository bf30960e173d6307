/// The intersection of regular byte expressions, built as the reachable part of the product of their subset
/// automata (for `pattern` with `minLength`/`maxLength`, or with `format`). Operands may not call rules.
enum ProductAutomaton {
    /// Product states above this are refused (a long bounded string times a large pattern).
    static let maxStates = 20_000

    /// A DFA as dense tables over byte classes, appended to `nfa` from `state`; returns the end state.
    static func build(_ operands: [GrammarExpr], into nfa: inout ByteNFA, from state: Int32) throws -> Int32 {
        let parts = try operands.map { operand -> ByteNFA in
            var grammar = GrammarDefinition()
            grammar.root = grammar.addRule(named: "operand", operand)
            let built = try ByteNFABuilder.build(grammar)
            if built.callEdges.contains(where: { !$0.isEmpty }) {
                throw GrammarError.unsupported("intersection of recursive expressions")
            }
            return built
        }
        let classes = byteClasses(parts)
        var index: [[[Int32]]: Int32] = [:]
        var sets: [[[Int32]]] = []
        var work: [Int32] = []
        func intern(_ key: [[Int32]]) throws -> Int32 {
            if let known = index[key] { return known }
            guard sets.count < maxStates else {
                throw GrammarError.tooLarge("intersection over \(maxStates) states")
            }
            let id = Int32(sets.count)
            index[key] = id
            sets.append(key)
            work.append(id)
            return id
        }
        let start = try intern(parts.map { $0.closure([$0.ruleStart[Int($0.root)]]) })
        var edges: [(from: Int32, bytes: ByteSet, to: Int32)] = []
        while let current = work.popLast() {
            var byTarget: [Int32: ByteSet] = [:]
            for byteClass in classes {
                let byte = byteClass.bytes[0]
                var next: [[Int32]] = []
                for (part, members) in zip(parts, sets[Int(current)]) {
                    var targets: [Int32] = []
                    for member in members {
                        for edge in part.byteEdges(from: member) where edge.bytes.contains(byte) { targets.append(edge.target) }
                    }
                    if targets.isEmpty { break }
                    next.append(part.closure(targets))
                }
                guard next.count == parts.count else { continue }
                let target = try intern(next)
                byTarget[target] = (byTarget[target] ?? ByteSet()).union(byteClass)
            }
            for (target, bytes) in byTarget { edges.append((current, bytes, target)) }
        }
        // Materialize: one NFA state per product state, `state` standing for the start.
        var mapped: [Int32] = []
        for id in 0..<sets.count { mapped.append(id == Int(start) ? state : nfa.addState()) }
        let end = nfa.addState()
        for edge in edges {
            nfa.byteEdges[Int(mapped[Int(edge.from)])].append(.init(bytes: edge.bytes, target: mapped[Int(edge.to)]))
        }
        for (id, key) in sets.enumerated() {
            let accepting = zip(parts, key).allSatisfy { part, members in members.contains(part.ruleFinal[Int(part.root)]) }
            if accepting { nfa.epsilonEdges[Int(mapped[id])].append(end) }
        }
        return end
    }

    /// Bytes that no edge label tells apart, grouped (usually a dozen classes instead of 256 bytes).
    private static func byteClasses(_ parts: [ByteNFA]) -> [ByteSet] {
        var labels = Set<ByteSet>()
        for part in parts {
            for edges in part.byteEdges + part.regions.flatMap(\.template.byteEdges) {
                for edge in edges { labels.insert(edge.bytes) }
            }
        }
        let ordered = Array(labels)
        var groups: [[UInt64]: ByteSet] = [:]
        for byte in 0...255 {
            var signature = [UInt64](repeating: 0, count: (ordered.count + 63) / 64)
            for (i, label) in ordered.enumerated() where label.contains(UInt8(byte)) { signature[i >> 6] |= 1 << UInt64(i & 63) }
            groups[signature, default: ByteSet()].insert(UInt8(byte))
        }
        return groups.values.filter { !$0.isEmpty }.sorted { $0.bytes[0] < $1.bytes[0] }
    }
}
