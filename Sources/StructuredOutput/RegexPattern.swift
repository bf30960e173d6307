/// A regex's language as a byte expression, with the anchoring rules of the two places regexes appear.
enum RegexPattern {
    /// Compiles a pattern.
    ///
    /// - `search: true` is JSON Schema `pattern`: the string matches if the regex matches anywhere in it, so an
    ///   alternative without `^` gets an any-text prefix and one without `$` an any-text suffix.
    /// - `search: false` is a generation regex: the whole output must match; `^`/`$` at the ends are redundant.
    static func compile(_ pattern: String, encoding: RegexNode.Encoding, search: Bool) throws -> GrammarExpr {
        let node = try RegexParser.parse(pattern)
        let anyText = anyText(encoding)
        var alternatives: [GrammarExpr] = []
        for branch in topLevelAlternatives(node) {
            var (body, startAnchored, endAnchored) = try stripAnchors(branch)
            if search && !endAnchored { body = body.trimmedEnd }
            if search && !startAnchored { body = body.trimmedStart }
            if search && (!startAnchored || !endAnchored) && body == RegexNode.emptyMatch {
                return anyText  // this branch matches every string
            }
            var parts = [try body.lowered(encoding)]
            if search && !startAnchored { parts.insert(anyText, at: 0) }
            if search && !endAnchored { parts.append(anyText) }
            alternatives.append(.concat(parts))
        }
        return .oneOf(alternatives)
    }

    /// Whether a `pattern` (search semantics) matches every string, so it constrains nothing.
    static func matchesEverything(_ pattern: String) -> Bool {
        guard let compiled = try? compile(pattern, encoding: .utf8, search: true) else { return false }
        return compiled == anyText(.utf8)
    }

    /// Any string, in the encoding.
    static func anyText(_ encoding: RegexNode.Encoding) -> GrammarExpr {
        .star(encoding == .utf8 ? CodepointSet.all.utf8Expr() : RegexNode.jsonStringExpr(.all))
    }

    private static func topLevelAlternatives(_ node: RegexNode) -> [RegexNode] {
        if case .alternation(let alternatives) = node { return alternatives }
        return [node]
    }

    /// Removes `^` at the start and `$` at the end of one alternative (also inside a leading or trailing group
    /// whose alternatives all carry them); any other anchor is unsupported.
    private static func stripAnchors(_ node: RegexNode) throws -> (RegexNode, Bool, Bool) {
        var items: [RegexNode]
        if case .sequence(let parts) = node { items = parts } else { items = [node] }
        var startAnchored = false
        var endAnchored = false
        while items.first == .startAnchor {
            items.removeFirst()
            startAnchored = true
        }
        while items.last == .endAnchor {
            items.removeLast()
            endAnchored = true
        }
        if items.count == 1, case .alternation(let inner) = items[0], !startAnchored || !endAnchored {
            let stripped = try inner.map(stripAnchors)
            let allStart = stripped.allSatisfy { $0.1 }
            let allEnd = stripped.allSatisfy { $0.2 }
            let anyStart = stripped.contains { $0.1 }
            let anyEnd = stripped.contains { $0.2 }
            if (anyStart && !allStart) || (anyEnd && !allEnd) {
                throw GrammarError.unsupported("regex anchor in some alternatives of a group")
            }
            items = [.alternation(stripped.map { $0.0 })]
            startAnchored = startAnchored || allStart
            endAnchored = endAnchored || allEnd
        }
        let body: RegexNode = items.count == 1 ? items[0] : .sequence(items)
        if containsAnchor(body) { throw GrammarError.unsupported("regex anchor inside the pattern") }
        return (body, startAnchored, endAnchored)
    }

    private static func containsAnchor(_ node: RegexNode) -> Bool {
        switch node {
        case .startAnchor, .endAnchor: true
        case .characters: false
        case .sequence(let parts), .alternation(let parts): parts.contains(where: containsAnchor)
        case .repeat(let body, _, _): containsAnchor(body)
        }
    }
}
