/// Parses the regex dialect of JSON Schema `pattern` (the common subset of ECMAScript and Python `re`).
///
/// Supported: literals, escapes (`\n \t \r \f \v \0 \xHH \uHHHH \u{H…}` and escaped metacharacters), `.`, classes
/// with ranges and negation, `\d \w \s \D \W \S`, groups (`(…)`, `(?:…)`, named `(?<n>…)`/`(?P<n>…)`), alternation,
/// `* + ? {m} {m,} {m,n}` (lazy `?` suffixes accepted: they do not change the language), and `^`/`$` at the ends.
/// Everything else (backreferences, lookaround, `\b`, `\p{…}`, inline flags) throws `unsupported`.
struct RegexParser {
    /// Repetition counts above this are refused (they would unroll into huge automata).
    static let maxRepeat = 10_000

    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
    }

    static func parse(_ pattern: String) throws -> RegexNode {
        var parser = RegexParser(pattern)
        let node = try parser.parseAlternation()
        if parser.position < parser.scalars.count {
            throw GrammarError.syntax("unbalanced ')' in regex", position: parser.position)
        }
        return node
    }

    private var atEnd: Bool { position >= scalars.count }
    private var peek: Unicode.Scalar? { atEnd ? nil : scalars[position] }

    private mutating func parseAlternation() throws -> RegexNode {
        var alternatives = [try parseSequence()]
        while peek == "|" {
            position += 1
            alternatives.append(try parseSequence())
        }
        return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
    }

    private mutating func parseSequence() throws -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek, c != "|", c != ")" {
            var atom = try parseAtom()
            atom = try parseQuantifiers(atom)
            items.append(atom)
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    private mutating func parseQuantifiers(_ atom: RegexNode) throws -> RegexNode {
        let start = position
        guard let bounds = try parseQuantifier() else { return atom }
        if atom == .startAnchor || atom == .endAnchor {
            throw GrammarError.syntax("quantifier after anchor", position: start)
        }
        if peek == "?" { position += 1 }  // lazy: the same language
        let next = position
        if try parseQuantifier() != nil { throw GrammarError.syntax("multiple repeat", position: next) }
        return .repeat(atom, min: bounds.0, max: bounds.1)
    }

    private mutating func parseQuantifier() throws -> (Int, Int?)? {
        switch peek {
        case "*":
            position += 1
            return (0, nil)
        case "+":
            position += 1
            return (1, nil)
        case "?":
            position += 1
            return (0, 1)
        case "{": return try parseBraces()
        default: return nil
        }
    }

    /// `{m}`, `{m,}`, `{m,n}`; nil (and no input consumed) when the brace is a literal, as both dialects treat it.
    private mutating func parseBraces() throws -> (Int, Int?)? {
        let start = position
        position += 1
        func number() -> Int? {
            var value: Int?
            while let c = peek, ("0"..."9").contains(c) {
                value = min((value ?? 0) * 10 + Int(c.value - 48), Int(Int32.max))
                position += 1
            }
            return value
        }
        guard let low = number() else {
            position = start
            return nil
        }
        var high: Int? = low
        if peek == "," {
            position += 1
            high = number()
        }
        guard peek == "}" else {
            position = start
            return nil
        }
        position += 1
        if let high, high < low {
            throw GrammarError.syntax("repetition {\(low),\(high)} has min > max", position: start)
        }
        if low > Self.maxRepeat || (high ?? 0) > Self.maxRepeat {
            throw GrammarError.invalidBounds("repetition count over \(Self.maxRepeat) at position \(start)")
        }
        return (low, high)
    }

    private mutating func parseAtom() throws -> RegexNode {
        let start = position
        let c = scalars[position]
        position += 1
        switch c {
        case "(":
            try skipGroupPrefix(start)
            let inner = try parseAlternation()
            guard peek == ")" else { throw GrammarError.syntax("unbalanced '(' in regex", position: start) }
            position += 1
            return inner
        case "[": return .characters(try parseClass(start))
        case ".": return .characters(CodepointSet(ranges: [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]).inverted())
        case "^": return .startAnchor
        case "$": return .endAnchor
        case "\\": return .characters(try parseEscape(inClass: false))
        case "*", "+", "?": throw GrammarError.syntax("nothing to repeat", position: start)
        case "{":
            position = start
            if try parseBraces() != nil { throw GrammarError.syntax("nothing to repeat", position: start) }
            position = start + 1
            return .characters(CodepointSet(scalar: c.value))
        default: return .characters(CodepointSet(scalar: c.value))
        }
    }

    private mutating func skipGroupPrefix(_ start: Int) throws {
        guard peek == "?" else { return }
        position += 1
        let kind = peek
        if kind == ":" {
            position += 1
        } else if kind == "<" || kind == "P" {
            if kind == "P" { position += 1 }
            guard peek == "<" else { throw GrammarError.unsupported("regex group syntax at position \(start)") }
            if position + 1 < scalars.count, scalars[position + 1] == "=" || scalars[position + 1] == "!" {
                throw GrammarError.unsupported("regex lookbehind at position \(start)")
            }
            while let c = peek, c != ">" { position += 1 }
            guard peek == ">" else { throw GrammarError.syntax("unterminated group name", position: start) }
            position += 1
        } else if kind == "=" || kind == "!" {
            throw GrammarError.unsupported("regex lookahead at position \(start)")
        } else {
            throw GrammarError.unsupported("regex group flags at position \(start)")
        }
    }

    private mutating func parseClass(_ start: Int) throws -> CodepointSet {
        var negated = false
        if peek == "^" {
            negated = true
            position += 1
        }
        var set = CodepointSet()
        var first = true
        while true {
            guard let c = peek else { throw GrammarError.syntax("unterminated character class", position: start) }
            if c == "]" && !first {
                position += 1
                break
            }
            first = false
            let low = try classMember()
            if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                position += 1
                let high = try classMember()
                guard let lo = low.single, let hi = high.single else {
                    throw GrammarError.syntax("class range with a class endpoint", position: position)
                }
                guard lo <= hi else { throw GrammarError.syntax("class range out of order", position: position) }
                set.insert(lo...hi)
            } else {
                set = set.union(low.scalars)
            }
        }
        return negated ? set.inverted() : set
    }

    private struct ClassMember {
        var scalars: CodepointSet
        var single: UInt32? {
            scalars.ranges.count == 1 && scalars.ranges[0].count == 1 ? scalars.ranges[0].lowerBound : nil
        }
    }

    private mutating func classMember() throws -> ClassMember {
        let c = scalars[position]
        position += 1
        if c == "\\" { return ClassMember(scalars: try parseEscape(inClass: true)) }
        if c == "[", peek == ":" { throw GrammarError.unsupported("POSIX class at position \(position - 1)") }
        return ClassMember(scalars: CodepointSet(scalar: c.value))
    }

    private mutating func parseEscape(inClass: Bool) throws -> CodepointSet {
        let start = position - 1
        guard let c = peek else { throw GrammarError.syntax("trailing backslash", position: start) }
        position += 1
        switch c {
        case "d": return .digits
        case "D": return CodepointSet.digits.inverted()
        case "w": return .word
        case "W": return CodepointSet.word.inverted()
        case "s": return .space
        case "S": return CodepointSet.space.inverted()
        case "n": return CodepointSet(scalar: 0x0A)
        case "t": return CodepointSet(scalar: 0x09)
        case "r": return CodepointSet(scalar: 0x0D)
        case "f": return CodepointSet(scalar: 0x0C)
        case "v": return CodepointSet(scalar: 0x0B)
        case "0": return CodepointSet(scalar: 0)
        case "b" where inClass: return CodepointSet(scalar: 0x08)
        case "x": return CodepointSet(scalar: try hexDigits(count: 2, start: start))
        case "u":
            if peek == "{" {
                position += 1
                var value: UInt32 = 0
                while let h = peek, h != "}" {
                    guard let digit = h.properties.isASCIIHexDigit ? UInt32(String(h), radix: 16) : nil else {
                        throw GrammarError.syntax("bad \\u{…} escape", position: start)
                    }
                    value = value * 16 + digit
                    guard value <= CodepointSet.maxScalar else {
                        throw GrammarError.syntax("bad \\u{…}", position: start)
                    }
                    position += 1
                }
                position += 1
                return CodepointSet(scalar: value)
            }
            return CodepointSet(scalar: try hexDigits(count: 4, start: start))
        default:
            if c.properties.isAlphabetic || ("1"..."9").contains(c) {
                throw GrammarError.unsupported("regex escape \\\(c) at position \(start)")
            }
            return CodepointSet(scalar: c.value)
        }
    }

    private mutating func hexDigits(count: Int, start: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let h = peek, h.isASCII, let digit = UInt32(String(h), radix: 16) else {
                throw GrammarError.syntax("bad hex escape", position: start)
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }
}
