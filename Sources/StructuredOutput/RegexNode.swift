/// A parsed regular expression over Unicode scalars (before lowering to bytes).
indirect enum RegexNode: Hashable, Sendable {
    case characters(CodepointSet)
    case sequence([RegexNode])
    case alternation([RegexNode])
    case `repeat`(RegexNode, min: Int, max: Int?)
    /// `^` and `$`; only legal at the very start or end of a top-level alternative.
    case startAnchor
    case endAnchor

    /// How string characters become bytes.
    enum Encoding {
        /// Plain UTF-8: the text generated is the matched string itself.
        case utf8
        /// The contents of a JSON string literal: `"`, `\` and control characters appear as JSON escapes.
        case jsonString
    }

    /// Lowers to bytes with full-match semantics; anchors must already be removed.
    func lowered(_ encoding: Encoding) throws -> GrammarExpr {
        switch self {
        case .characters(let set):
            return encoding == .utf8 ? set.utf8Expr() : Self.jsonStringExpr(set)
        case .sequence(let parts):
            return .concat(try parts.map { try $0.lowered(encoding) })
        case .alternation(let alternatives):
            return .oneOf(try alternatives.map { try $0.lowered(encoding) })
        case .repeat(let body, let min, let max):
            return .repeat(try body.lowered(encoding), min: min, max: max)
        case .startAnchor, .endAnchor:
            throw GrammarError.unsupported("regex anchor inside the pattern")
        }
    }

    /// Characters that JSON requires to be escaped, with the escape Python's `json.dumps` writes (also accepted:
    /// `\/` for `/`, upper-case hex in `\u00XX`). The escapes share their backslash and `\u00`, so a class such as
    /// `.` adds a few states rather than a branch per control character (which made complements of patterns slow).
    static func jsonStringExpr(_ set: CodepointSet) -> GrammarExpr {
        let mustEscape = CodepointSet(ranges: [0...0x1F, 0x22...0x22, 0x5C...0x5C])
        var alternatives: [GrammarExpr] = []
        let plain = set.subtracting(mustEscape)
        if !plain.isEmpty { alternatives.append(plain.utf8Expr()) }
        var letters = ByteSet()  // after the backslash
        var lowDigits: [UInt8: ByteSet] = [:]  // `\u00` + high digit → low digits
        let hex = Array("0123456789abcdef".utf8)
        for range in set.intersection(mustEscape).ranges {
            for scalar in range {
                if let letter = shortEscapes[scalar] {
                    letters.insert(letter)
                    continue
                }
                let low = hex[Int(scalar & 15)]
                let lowSet = low >= 0x61 ? ByteSet(bytes: [low, low - 32]) : ByteSet(byte: low)
                let high = hex[Int(scalar >> 4)]
                lowDigits[high] = (lowDigits[high] ?? ByteSet()).union(lowSet)
            }
        }
        if set.contains(0x2F) { letters.insert(UInt8(ascii: "/")) }
        var escaped: [GrammarExpr] = letters.isEmpty ? [] : [.bytes(letters)]
        if !lowDigits.isEmpty {
            let digits = lowDigits.sorted { $0.key < $1.key }.map {
                GrammarExpr.concat([.bytes(ByteSet(byte: $0.key)), .bytes($0.value)])
            }
            escaped.append(.concat([.literal("u00"), .oneOf(digits)]))
        }
        if !escaped.isEmpty { alternatives.append(.concat([.literal("\\"), .oneOf(escaped)])) }
        return .oneOf(alternatives)
    }

    /// The letter after the backslash of JSON's two-character escapes, by escaped scalar.
    static let shortEscapes: [UInt32: UInt8] = [
        0x22: UInt8(ascii: "\""), 0x5C: UInt8(ascii: "\\"), 0x08: UInt8(ascii: "b"), 0x0C: UInt8(ascii: "f"),
        0x0A: UInt8(ascii: "n"), 0x0D: UInt8(ascii: "r"), 0x09: UInt8(ascii: "t"),
    ]
}

extension RegexNode {
    /// The fewest and most characters a match has (max nil if unbounded); nil if anchors remain inside.
    var lengthBounds: (min: Int, max: Int?)? {
        switch self {
        case .characters: return (1, 1)
        case .startAnchor, .endAnchor: return (0, 0)
        case .sequence(let parts):
            var low = 0
            var high: Int? = 0
            for part in parts {
                guard let bounds = part.lengthBounds else { return nil }
                low += bounds.min
                high = high.flatMap { h in bounds.max.map { h + $0 } }
            }
            return (low, high)
        case .alternation(let parts):
            let all = parts.compactMap(\.lengthBounds)
            guard all.count == parts.count, !all.isEmpty else { return nil }
            let highs = all.map(\.max)
            return (all.map(\.min).min()!, highs.contains { $0 == nil } ? nil : highs.map { $0! }.max())
        case .repeat(let body, let min, let max):
            guard let bounds = body.lengthBounds else { return nil }
            return (bounds.min * min, max.flatMap { m in bounds.max.map { $0 * m } })
        }
    }

    /// Whether every match of the pattern (JSON Schema search semantics) has between `min` and `max` characters.
    static func implies(pattern: String, search: Bool, min: Int, max: Int?) -> Bool {
        guard let node = try? RegexParser.parse(pattern) else { return false }
        let branches: [RegexNode]
        if case .alternation(let parts) = node { branches = parts } else { branches = [node] }
        for branch in branches {
            var items: [RegexNode]
            if case .sequence(let parts) = branch { items = parts } else { items = [branch] }
            if search && (items.first != .startAnchor || items.last != .endAnchor) { return false }
            guard let bounds = RegexNode.sequence(items).lengthBounds, bounds.min >= min else { return false }
            if let max, (bounds.max ?? Int.max) > max { return false }
        }
        return true
    }
}
