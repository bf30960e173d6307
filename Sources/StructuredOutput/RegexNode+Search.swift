/// Simplifications that keep a `pattern`'s search-semantics language: an unanchored end absorbs any text, so what a
/// match may add at that end is irrelevant. `x{2,255}` at an unanchored end matches where `xx` does; `a.*` where `a`
/// does. Building the automata for the simplified pattern is much cheaper, above all for complements (a
/// `patternProperties` name the additional properties must not match).
extension RegexNode {
    static let emptyMatch = RegexNode.sequence([])

    /// A node `t` with `t·Σ* == self·Σ*` (for a branch without `$`).
    var trimmedEnd: RegexNode {
        switch self {
        case .characters, .startAnchor, .endAnchor:
            return self
        case .repeat(let body, let min, _):
            // body{m,n}·Σ* = body{m-1}·(body·Σ*); nothing is needed when m = 0.
            guard min > 0 else { return Self.emptyMatch }
            let last = body.trimmedEnd
            return min == 1 ? last : .sequence([.repeat(body, min: min - 1, max: min - 1), last])
        case .sequence(var parts):
            while let last = parts.popLast() {
                let trimmed = last.trimmedEnd
                if trimmed != Self.emptyMatch {
                    parts.append(trimmed)
                    return parts.count == 1 ? parts[0] : .sequence(parts)
                }
            }
            return Self.emptyMatch
        case .alternation(let alternatives):
            let trimmed = alternatives.map(\.trimmedEnd)
            return trimmed.contains(Self.emptyMatch) ? Self.emptyMatch : .alternation(trimmed)
        }
    }

    /// A node `t` with `Σ*·t == Σ*·self` (for a branch without `^`).
    var trimmedStart: RegexNode {
        switch self {
        case .characters, .startAnchor, .endAnchor:
            return self
        case .repeat(let body, let min, _):
            guard min > 0 else { return Self.emptyMatch }
            let first = body.trimmedStart
            return min == 1 ? first : .sequence([first, .repeat(body, min: min - 1, max: min - 1)])
        case .sequence(let parts):
            var rest = parts[...]
            while let first = rest.popFirst() {
                let trimmed = first.trimmedStart
                if trimmed != Self.emptyMatch {
                    let kept = [trimmed] + rest
                    return kept.count == 1 ? kept[0] : .sequence(kept)
                }
            }
            return Self.emptyMatch
        case .alternation(let alternatives):
            let trimmed = alternatives.map(\.trimmedStart)
            return trimmed.contains(Self.emptyMatch) ? Self.emptyMatch : .alternation(trimmed)
        }
    }
}
