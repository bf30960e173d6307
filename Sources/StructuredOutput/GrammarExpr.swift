/// A grammar expression over bytes: the common form regexes, JSON schemas, choice lists and GBNF compile into.
///
/// Character-level constructs are lowered to UTF-8 byte sequences before they get here, so the automata only ever
/// see bytes. `.rule` refers to a rule of the enclosing `GrammarDefinition`; recursion goes only through rules.
indirect enum GrammarExpr: Hashable, Sendable {
    /// One byte from the set (an empty set matches nothing).
    case bytes(ByteSet)
    /// One Unicode scalar from the set, as its UTF-8 bytes (built with shared continuation-byte states).
    case characters(CodepointSet)
    case sequence([GrammarExpr])
    case choice([GrammarExpr])
    /// `max == nil` is unbounded.
    case `repeat`(GrammarExpr, min: Int, max: Int?)
    case rule(Int)
    /// Strings every operand matches (operands may not refer to rules).
    case intersection([GrammarExpr])
    /// Only as an operand of `intersection`: strings the expression does NOT match (the complement).
    case excluding(GrammarExpr)
    /// Tail `index` of the innermost `sharedScope`: built once and reached from several places. Only valid where
    /// every use is followed by the same continuation (the rest of one object's member list), so sharing the
    /// automaton fragment adds no strings. Tails may refer to each other, even in a loop.
    case sharedTail(Int)
    /// Scopes `sharedTail` indices: every time this is built (a repetition copy, an inlined rule) its tails are built
    /// afresh. Tails are stored here once so that traversals stay linear in the expression's size.
    case sharedScope(tails: [GrammarExpr], body: GrammarExpr)

    static let empty = GrammarExpr.sequence([])
    static let nothing = GrammarExpr.choice([])

    static func literal(_ bytes: [UInt8]) -> GrammarExpr {
        bytes.count == 1 ? .bytes(ByteSet(byte: bytes[0])) : .sequence(bytes.map { .bytes(ByteSet(byte: $0)) })
    }

    static func literal(_ text: String) -> GrammarExpr { literal(Array(text.utf8)) }

    static func optional(_ expr: GrammarExpr) -> GrammarExpr { .repeat(expr, min: 0, max: 1) }

    static func star(_ expr: GrammarExpr) -> GrammarExpr { .repeat(expr, min: 0, max: nil) }

    /// A choice that drops `nothing` alternatives and unwraps a single one.
    static func oneOf(_ alternatives: [GrammarExpr]) -> GrammarExpr {
        let kept = alternatives.filter { $0 != .nothing }
        return kept.count == 1 ? kept[0] : .choice(kept)
    }

    /// A sequence that flattens nested sequences and collapses to `nothing` if any part matches nothing.
    static func concat(_ parts: [GrammarExpr]) -> GrammarExpr {
        var flat: [GrammarExpr] = []
        for part in parts {
            if part == .nothing { return .nothing }
            if case .sequence(let inner) = part { flat.append(contentsOf: inner) } else { flat.append(part) }
        }
        return flat.count == 1 ? flat[0] : .sequence(flat)
    }
}

/// Rules of a context-free grammar over bytes; `rules[root]` is the start symbol.
struct GrammarDefinition: Sendable {
    var rules: [GrammarExpr] = []
    var names: [String] = []
    var root: Int = 0

    /// Adds a rule (its body may be filled in later with `define`) and returns its index.
    mutating func addRule(named name: String, _ body: GrammarExpr = .nothing) -> Int {
        rules.append(body)
        names.append(name)
        return rules.count - 1
    }

    mutating func define(_ rule: Int, _ body: GrammarExpr) {
        rules[rule] = body
    }
}
