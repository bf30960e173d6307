extension TemplateLexer {
    private static let operators = [
        "//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{",
        "}", ",", ".", ":", "|",
    ]

    /// Lexes one name, number, string or operator starting at `pos` (whitespace already skipped).
    mutating func lexExpressionToken() throws -> TemplateToken {
        let start = pos
        let here = location(start)
        let scalar = source[pos]
        if scalar == "_" || scalar.properties.isAlphabetic {
            while pos < source.count,
                source[pos] == "_" || source[pos].properties.isAlphabetic || ("0"..."9").contains(source[pos])
            {
                pos += 1
            }
            return TemplateToken(kind: .name(text(start..<pos)), location: here)
        }
        if ("0"..."9").contains(scalar) { return try lexNumber() }
        if scalar == "'" || scalar == "\"" { return try lexString() }
        for op in Self.operators where startsWith(op, at: pos) {
            pos += op.unicodeScalars.count
            return TemplateToken(kind: .op(op), location: here)
        }
        throw syntaxError("unexpected character '\(scalar)'", at: start)
    }

    private func text(_ range: Range<Int>) -> String {
        var string = String.UnicodeScalarView()
        string.append(contentsOf: source[range])
        return String(string)
    }

    private func isDigit(_ offset: Int) -> Bool { offset < source.count && ("0"..."9").contains(source[offset]) }

    private mutating func skipDigits() {
        while isDigit(pos) || (pos < source.count && source[pos] == "_" && isDigit(pos + 1)) { pos += 1 }
    }

    private mutating func lexNumber() throws -> TemplateToken {
        let start = pos
        let here = location(start)
        skipDigits()
        var isFloat = false
        // A dot after `x.` (as in `foo.0.bar`) is attribute access, never a float.
        let afterDot = start > 0 && source[start - 1] == "."
        if !afterDot, pos < source.count, source[pos] == ".", isDigit(pos + 1) {
            isFloat = true
            pos += 1
            skipDigits()
        }
        if !afterDot, pos < source.count, source[pos] == "e" || source[pos] == "E" {
            var exponent = pos + 1
            if exponent < source.count, source[exponent] == "+" || source[exponent] == "-" { exponent += 1 }
            if isDigit(exponent) {
                isFloat = true
                pos = exponent
                skipDigits()
            }
        }
        let literal = text(start..<pos).replacingOccurrences(of: "_", with: "")
        if isFloat, let value = Double(literal) { return TemplateToken(kind: .float(value), location: here) }
        guard let value = Int(literal) else { throw syntaxError("integer literal out of range", at: start) }
        return TemplateToken(kind: .integer(value), location: here)
    }

    private mutating func lexString() throws -> TemplateToken {
        let start = pos
        let quote = source[pos]
        pos += 1
        var value = String.UnicodeScalarView()
        while pos < source.count, source[pos] != quote {
            if source[pos] == "\\", pos + 1 < source.count {
                pos += 1
                value.append(contentsOf: try unescape())
            } else {
                value.append(source[pos])
                pos += 1
            }
        }
        guard pos < source.count else { throw syntaxError("unterminated string literal", at: start) }
        pos += 1
        return TemplateToken(kind: .string(String(value)), location: location(start))
    }

    /// Python string-literal escapes (Jinja unescapes literals the same way); unknown escapes stay verbatim.
    private mutating func unescape() throws -> [Unicode.Scalar] {
        let escape = source[pos]
        pos += 1
        switch escape {
        case "n": return ["\n"]
        case "t": return ["\t"]
        case "r": return ["\r"]
        case "\\": return ["\\"]
        case "'": return ["'"]
        case "\"": return ["\""]
        case "0": return ["\0"]
        case "a": return ["\u{07}"]
        case "b": return ["\u{08}"]
        case "f": return ["\u{0C}"]
        case "v": return ["\u{0B}"]
        case "\n": return []
        case "x", "u", "U":
            let width = escape == "x" ? 2 : escape == "u" ? 4 : 8
            guard pos + width <= source.count, let code = UInt32(text(pos..<pos + width), radix: 16),
                let scalar = Unicode.Scalar(code)
            else { throw syntaxError("invalid \\\(escape) escape in string literal", at: pos - 2) }
            pos += width
            return [scalar]
        default: return ["\\", escape]
        }
    }
}
