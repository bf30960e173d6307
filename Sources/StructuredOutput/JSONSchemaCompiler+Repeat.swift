extension JSONSchemaCompiler {
    /// Counts up to this are unrolled in place; longer ones go through block rules.
    static let unrolledRepeatLimit = 128
    /// Each block rule is 64 copies of the block below it.
    static let blockFactor = 64

    /// `x{min,max}` for long bounded counts (`maxLength: 4096`) without unrolling every copy: blocks of 64, 4096, …
    /// copies are rules (called, built once), so the automaton stays small and the count stays exact.
    mutating func boundedRepeat(_ x: GrammarExpr, key: String, min: Int, max: Int?) -> GrammarExpr {
        guard let max else { return .concat([exactly(x, key: key, min), .star(x)]) }
        if max <= Self.unrolledRepeatLimit { return .repeat(x, min: min, max: max) }
        return .concat([exactly(x, key: key, min), upTo(x, key: key, max - min)])
    }

    /// Exactly `count` copies.
    private mutating func exactly(_ x: GrammarExpr, key: String, _ count: Int) -> GrammarExpr {
        if count <= Self.unrolledRepeatLimit { return .repeat(x, min: count, max: count) }
        let (block, size) = largestBlock(x, key: key, atMost: count)
        return .concat([.repeat(block, min: count / size, max: count / size), exactly(x, key: key, count % size)])
    }

    /// Between 0 and `count` copies: either fewer than `a` whole blocks and then less than a block, or `a` whole
    /// blocks and then at most the remainder (`a = count / block`).
    private mutating func upTo(_ x: GrammarExpr, key: String, _ count: Int) -> GrammarExpr {
        if count <= Self.unrolledRepeatLimit { return .repeat(x, min: 0, max: count) }
        let (block, size) = largestBlock(x, key: key, atMost: count / 2)
        let whole = count / size
        return .oneOf([
            .concat([.repeat(block, min: 0, max: whole - 1), upTo(x, key: key, size - 1)]),
            .concat([.repeat(block, min: whole, max: whole), upTo(x, key: key, count % size)]),
        ])
    }

    /// The biggest block rule of at most `limit` copies (at least one block factor).
    private mutating func largestBlock(_ x: GrammarExpr, key: String, atMost limit: Int) -> (GrammarExpr, Int) {
        var size = Self.blockFactor
        var rule = blockRule(x, key: key, size: size)
        while size * Self.blockFactor <= limit {
            let inner = rule
            size *= Self.blockFactor
            rule = blockRule(x, key: key, size: size) { .repeat(inner, min: Self.blockFactor, max: Self.blockFactor) }
        }
        return (rule, size)
    }

    private mutating func blockRule(
        _ x: GrammarExpr, key: String, size: Int, body: (() -> GrammarExpr)? = nil
    ) -> GrammarExpr {
        let name = "block:\(key):\(size)"
        if let rule = ruleIndex(named: name) { return .rule(rule) }
        let rule = grammar.addRule(named: name, body?() ?? .repeat(x, min: size, max: size))
        registerRule(name, rule)
        return .rule(rule)
    }
}
