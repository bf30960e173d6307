/// Parses llama.cpp's GBNF: `name ::= alternatives` rules, `"literals"`, `[classes]`, `.`, `( … )`, `|`,
/// `* + ? {m} {m,} {m,n}`, rule references (recursion allowed, left recursion refused), `#` comments.
/// The start rule is `root`. A rule ends at a newline outside parentheses unless the next line does not start a new
/// rule (`name ::=`), so bodies may continue on following lines.
struct GBNFParser {
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var grammar = GrammarDefinition()
    private var ruleIndex: [String: Int] = [:]
    private var defined: Set<String> = []
    private var firstUse: [String: Int] = [:]

    static func parse(_ text: String) throws -> GrammarDefinition {
        var parser = GBNFParser(scalars: Array(text.unicodeScalars))
        return try parser.parseGrammar()
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func parseGrammar() throws -> GrammarDefinition {
        skipSpace(newlines: true)
        while peek != nil {
            let start = position
            let name = try parseName()
            skipSpace(newlines: false)
            guard matches("::=") else { throw GrammarError.syntax("expected ::= after rule name", position: position) }
            position += 3
            skipSpace(newlines: true)
            let body = try parseAlternatives(nested: false)
            guard defined.insert(name).inserted else {
                throw GrammarError.syntax("rule '\(name)' defined twice", position: start)
            }
            grammar.define(rule(named: name), body)
            skipSpace(newlines: true)
        }
        for (name, use) in firstUse.sorted(by: { $0.value < $1.value }) where !defined.contains(name) {
            throw GrammarError.syntax("undefined rule '\(name)'", position: use)
        }
        guard let root = ruleIndex["root"] else { throw GrammarError.syntax("no rule named root", position: 0) }
        grammar.root = root
        return grammar
    }

    private mutating func rule(named name: String) -> Int {
        if let index = ruleIndex[name] { return index }
        let index = grammar.addRule(named: name)
        ruleIndex[name] = index
        return index
    }

    private func matches(_ text: String) -> Bool {
        let expected = Array(text.unicodeScalars)
        return position + expected.count <= scalars.count
            && Array(scalars[position..<position + expected.count]) == expected
    }

    private static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic && c.isASCII || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    private mutating func parseName() throws -> String {
        let start = position
        while let c = peek, Self.isNameCharacter(c) { position += 1 }
        guard position > start else { throw GrammarError.syntax("expected a rule name", position: start) }
        return String(String.UnicodeScalarView(scalars[start..<position]))
    }

    /// Skips blanks and comments; newlines too if `newlines`.
    private mutating func skipSpace(newlines: Bool) {
        while let c = peek {
            if c == " " || c == "\t" || (newlines && (c == "\n" || c == "\r")) {
                position += 1
            } else if c == "#" {
                while let d = peek, d != "\n" { position += 1 }
            } else {
                return
            }
        }
    }

    /// At a newline outside parentheses: does the body continue (the next line is not a new rule)?
    private func continuesAfterNewline() -> Bool {
        var probe = self
        probe.skipSpace(newlines: true)
        guard probe.peek != nil else { return false }
        if (try? probe.parseName()) != nil {
            probe.skipSpace(newlines: false)
            if probe.matches("::=") { return false }
        }
        return true
    }

    private mutating func parseAlternatives(nested: Bool) throws -> GrammarExpr {
        var alternatives = [try parseSequence(nested: nested)]
        while peek == "|" {
            position += 1
            skipSpace(newlines: true)
            alternatives.append(try parseSequence(nested: nested))
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    private mutating func parseSequence(nested: Bool) throws -> GrammarExpr {
        var items: [GrammarExpr] = []
        while true {
            skipSpace(newlines: nested)
            if !nested, let c = peek, c == "\n" || c == "\r" {
                guard continuesAfterNewline() else { break }
                skipSpace(newlines: true)
            }
            guard let c = peek, c != "|", c != ")" else { break }
            var item = try parseAtom()
            item = try parseQuantifiers(item)
            items.append(item)
        }
        return .concat(items)
    }

    private mutating func parseQuantifiers(_ atom: GrammarExpr) throws -> GrammarExpr {
        var item = atom
        while let c = peek {
            switch c {
            case "*":
                item = .star(item)
                position += 1
            case "+":
                item = .repeat(item, min: 1, max: nil)
                position += 1
            case "?":
                item = .optional(item)
                position += 1
            case "{":
                let start = position
                position += 1
                skipSpace(newlines: false)
                let low = try parseCount(start)
                skipSpace(newlines: false)
                var high: Int? = low
                if peek == "," {
                    position += 1
                    skipSpace(newlines: false)
                    high = peek == "}" ? nil : try parseCount(start)
                    skipSpace(newlines: false)
                }
                guard peek == "}" else { throw GrammarError.syntax("expected } in repetition", position: start) }
                position += 1
                if let high, high < low { throw GrammarError.syntax("repetition has min > max", position: start) }
                if low > RegexParser.maxRepeat || (high ?? 0) > RegexParser.maxRepeat {
                    throw GrammarError.invalidBounds(
                        "repetition count over \(RegexParser.maxRepeat) at position \(start)")
                }
                item = .repeat(item, min: low, max: high)
            default: return item
            }
        }
        return item
    }

    private mutating func parseCount(_ start: Int) throws -> Int {
        var value = 0
        var digits = 0
        while let c = peek, ("0"..."9").contains(c) {
            value = min(value * 10 + Int(c.value - 48), Int(Int32.max))
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw GrammarError.syntax("expected a number in repetition", position: start) }
        return value
    }

    private mutating func parseAtom() throws -> GrammarExpr {
        let start = position
        let c = scalars[position]
        switch c {
        case "\"":
            position += 1
            var bytes: [UInt8] = []
            while true {
                guard let d = peek else { throw GrammarError.syntax("unterminated literal", position: start) }
                if d == "\"" {
                    position += 1
                    break
                }
                let scalar = try parseCharacter()
                bytes += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
            }
            return .literal(bytes)
        case "[":
            position += 1
            var negated = false
            if peek == "^" {
                negated = true
                position += 1
            }
            var set = CodepointSet()
            while true {
                guard let d = peek else { throw GrammarError.syntax("unterminated character class", position: start) }
                if d == "]" {
                    position += 1
                    break
                }
                let low = try parseCharacter()
                if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                    position += 1
                    let high = try parseCharacter()
                    guard low <= high else { throw GrammarError.syntax("class range out of order", position: position) }
                    set.insert(low...high)
                } else {
                    set.insert(low...low)
                }
            }
            return (negated ? set.inverted() : set).utf8Expr()
        case ".":
            position += 1
            return CodepointSet.all.utf8Expr()
        case "(":
            position += 1
            skipSpace(newlines: true)
            let inner = try parseAlternatives(nested: true)
            skipSpace(newlines: true)
            guard peek == ")" else { throw GrammarError.syntax("unbalanced '(' in grammar", position: start) }
            position += 1
            return inner
        default:
            guard Self.isNameCharacter(c) else {
                throw GrammarError.syntax("unexpected character '\(c)'", position: start)
            }
            let name = try parseName()
            if firstUse[name] == nil { firstUse[name] = start }
            return .rule(rule(named: name))
        }
    }

    /// One character of a literal or class, with llama.cpp's escapes.
    private mutating func parseCharacter() throws -> UInt32 {
        let start = position
        let c = scalars[position]
        position += 1
        guard c == "\\" else { return c.value }
        guard let e = peek else { throw GrammarError.syntax("trailing backslash", position: start) }
        position += 1
        switch e {
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "\\", "\"", "[", "]", "-", "^": return e.value
        case "x", "u", "U":
            let count = e == "x" ? 2 : e == "u" ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let h = peek, h.isASCII, let digit = UInt32(String(h), radix: 16) else {
                    throw GrammarError.syntax("bad \\\(e) escape", position: start)
                }
                value = value * 16 + digit
                position += 1
            }
            guard value <= CodepointSet.maxScalar, !(0xD800...0xDFFF).contains(value) else {
                throw GrammarError.syntax("escape is not a Unicode scalar", position: start)
            }
            return value
        default: throw GrammarError.syntax("unknown escape \\\(e)", position: start)
        }
    }
}
