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
            let built = try ByteNFABuilder.build(grammar, countedRegions: false)
            if built.callEdges.contains(where: { !$0.isEmpty }) {
                throw GrammarError.unsupported("intersection of recursive expressions")
            }
            return built
        }
        let classes = byteClasses(parts)
        // Each operand is determinized on the fly, once per (subset, byte class).
        let dfas = parts.map { OperandDFA(nfa: $0, classes: classes) }
        let width = dfas.count
        var table = TupleTable(width: width)
        var tuple = dfas.map(\.startID)
        var work = [table.intern(tuple).id]
        var edges: [(from: Int32, bytes: ByteSet, to: Int32)] = []
        var targets: [(state: Int32, bytes: ByteSet)] = []
        while let current = work.popLast() {
            targets.removeAll(keepingCapacity: true)
            classes: for (classIndex, byteClass) in classes.enumerated() {
                for operand in 0..<width {
                    let subset = table.flat[Int(current) * width + operand]
                    var target = dfas[operand].step(subset, classIndex)
                    if target < 0 {
                        // A complemented operand that dies accepts everything from here on.
                        guard negated[operand] else { continue classes }
                        target = OperandDFA.dead
                    }
                    tuple[operand] = target
                }
                let (target, isNew) = table.intern(tuple)
                if isNew {
                    guard table.count <= maxStates else {
                        throw GrammarError.tooLarge("intersection over \(maxStates) states")
                    }
                    work.append(target)
                }
                if let known = targets.firstIndex(where: { $0.state == target }) {
                    targets[known].bytes = targets[known].bytes.union(byteClass)
                } else {
                    targets.append((target, byteClass))
                }
            }
            for target in targets { edges.append((current, target.bytes, target.state)) }
        }
        // Materialize: one NFA state per product state, state 0 (the start) being `state`.
        var mapped: [Int32] = [state]
        for _ in 1..<table.count { mapped.append(nfa.addState()) }
        let end = nfa.addState()
        for edge in edges {
            nfa.byteEdges[Int(mapped[Int(edge.from)])].append(.init(bytes: edge.bytes, target: mapped[Int(edge.to)]))
        }
        for id in 0..<table.count {
            let accepting = (0..<width).allSatisfy { dfas[$0].accepting(table.flat[id * width + $0]) != negated[$0] }
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
            for (i, label) in ordered.enumerated() where label.contains(UInt8(byte)) {
                signature[i >> 6] |= 1 << UInt64(i & 63)
            }
            groups[signature, default: ByteSet()].insert(UInt8(byte))
        }
        return groups.values.filter { !$0.isEmpty }.sorted { $0.first! < $1.first! }
    }
}
