/// The intersection of regular byte expressions, built as the reachable part of the product of their subset
/// automata (for `pattern` with `minLength`/`maxLength`, or with `format`). Operands may not call rules.
/// An `.excluding(x)` operand is complemented: the product accepts where `x`'s automaton does not (it needs at least
/// one plain operand, which bounds the language).
enum ProductAutomaton {
    /// Product states above this are refused (a long bounded string times a large pattern).
    static let maxStates = 20_000

    /// Whether no string matches all operands.
    static func isEmpty(_ operands: [GrammarExpr]) throws -> Bool {
        let product = try template(operands)
        return !product.epsilonEdges.contains { $0.contains(product.ruleFinal[0]) }
    }

    /// The product as a standalone one-rule NFA (a template the builder copies wherever the intersection appears).
    static func template(_ operands: [GrammarExpr]) throws -> ByteNFA {
        var result = ByteNFA()
        let start = result.addState()
        result.ruleStart = [start]
        result.ruleNames = ["intersection"]
        result.ruleFinal = [try build(operands, into: &result, from: start)]
        return result
    }

    /// A DFA as dense tables over byte classes, appended to `nfa` from `state`; returns the end state.
    static func build(_ operands: [GrammarExpr], into nfa: inout ByteNFA, from state: Int32) throws -> Int32 {
        let negated = operands.map { if case .excluding = $0 { true } else { false } }
        guard negated.contains(false) else { throw GrammarError.unsupported("intersection of complements only") }
        let parts = try operands.map { operand -> ByteNFA in
            var grammar = GrammarDefinition()
            var body = operand
            if case .excluding(let inner) = operand { body = inner }
            grammar.root = grammar.addRule(named: "operand", body)
            let built = try ByteNFABuilder.build(grammar)
            if built.callEdges.contains(where: { !$0.isEmpty }) {
                throw GrammarError.unsupported("intersection of recursive expressions")
            }
            return built
        }
        let classes = byteClasses(parts)
        let classBytes = classes.map { $0.first! }
        // Each operand is determinized on the fly, once per (subset, byte class).
        var operands = parts.map { OperandDFA(nfa: $0, classCount: classes.count) }
        var index: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        var work: [Int32] = []
        func intern(_ key: [Int32]) throws -> Int32 {
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
        let start = try intern(operands.indices.map { operands[$0].startID })
        var edges: [(from: Int32, bytes: ByteSet, to: Int32)] = []
        while let current = work.popLast() {
            var byTarget: [Int32: ByteSet] = [:]
            for (classIndex, byteClass) in classes.enumerated() {
                var next: [Int32] = []
                for (operand, subset) in zip(operands.indices, sets[Int(current)]) {
                    var target = operands[operand].step(subset, classIndex, classBytes[classIndex])
                    if target < 0 {
                        // A complemented operand that dies accepts everything from here on.
                        guard negated[operand] else { break }
                        target = OperandDFA.dead
                    }
                    next.append(target)
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
            let accepting = zip(operands, key).enumerated().allSatisfy { index, pair in
                pair.0.accepting(pair.1) != negated[index]
            }
            if accepting { nfa.epsilonEdges[Int(mapped[id])].append(end) }
        }
        return end
    }

    /// One operand's subset automaton, built as the product explores it.
    private struct OperandDFA {
        let nfa: ByteNFA
        let classCount: Int
        let final: Int32
        var index: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        var transitions: [Int32] = []  // -2 unknown, -1 dead
        var startID: Int32 = 0

        init(nfa: ByteNFA, classCount: Int) {
            self.nfa = nfa
            self.classCount = classCount
            final = nfa.ruleFinal[Int(nfa.root)]
            startID = intern(nfa.closure([nfa.ruleStart[Int(nfa.root)]]))
        }

        mutating func intern(_ set: [Int32]) -> Int32 {
            if let known = index[set] { return known }
            let id = Int32(sets.count)
            index[set] = id
            sets.append(set)
            transitions.append(contentsOf: repeatElement(-2, count: classCount))
            return id
        }

        /// The subset of a complemented operand after it died (no NFA states, never accepting).
        static let dead: Int32 = -3

        func accepting(_ id: Int32) -> Bool { id != Self.dead && sets[Int(id)].contains(final) }

        mutating func step(_ id: Int32, _ byteClass: Int, _ byte: UInt8) -> Int32 {
            if id == Self.dead { return Self.dead }
            let slot = Int(id) * classCount + byteClass
            if transitions[slot] != -2 { return transitions[slot] }
            var targets: [Int32] = []
            for member in sets[Int(id)] {
                for edge in nfa.byteEdges(from: member) where edge.bytes.contains(byte) { targets.append(edge.target) }
            }
            let result = targets.isEmpty ? -1 : intern(nfa.closure(targets))
            transitions[slot] = result
            return result
        }
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
            for (i, label) in ordered.enumerated() where label.contains(UInt8(byte)) {
                signature[i >> 6] |= 1 << UInt64(i & 63)
            }
            groups[signature, default: ByteSet()].insert(UInt8(byte))
        }
        return groups.values.filter { !$0.isEmpty }.sorted { $0.first! < $1.first! }
    }
}
