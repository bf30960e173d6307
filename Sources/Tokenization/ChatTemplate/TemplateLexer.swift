/// Splits template source into tokens with Jinja's whitespace control already applied.
///
/// Follows the settings transformers compiles chat templates with: `trim_blocks=True` (the first newline after a
/// block or comment tag is dropped), `lstrip_blocks=True` (spaces and tabs from the start of a line up to a block or
/// comment tag are dropped), `{%-`/`-%}` strip all adjacent whitespace, `{%+`/`+%}` disable lstrip/trim, and one
/// trailing newline of the template is removed (`keep_trailing_newline=False`).
struct TemplateLexer {
    private enum TagKind { case variable, block, comment }

    var source: [Unicode.Scalar]
    let lineStarts: [Int]
    var pos = 0
    private var lineStarting = true
    private var tokens: [TemplateToken] = []

    init(_ text: String) {
        // Jinja normalises every line ending in the template source to "\n" before lexing.
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        var previousWasReturn = false
        for scalar in text.unicodeScalars {
            if !(scalar == "\n" && previousWasReturn) { scalars.append(scalar == "\r" ? "\n" : scalar) }
            previousWasReturn = scalar == "\r"
        }
        if scalars.last == "\n" { scalars.removeLast() }
        source = scalars
        var starts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(index + 1) }
        lineStarts = starts
    }

    static func tokenize(_ text: String) throws -> [TemplateToken] {
        var lexer = TemplateLexer(text)
        return try lexer.run()
    }

    func location(_ offset: Int) -> SourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return SourceLocation(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    func syntaxError(_ message: String, at offset: Int) -> ChatTemplateError {
        let place = location(offset)
        return ChatTemplateError(.syntax, message, line: place.line, column: place.column)
    }

    func startsWith(_ literal: String, at offset: Int) -> Bool {
        var index = offset
        for scalar in literal.unicodeScalars {
            guard index < source.count, source[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private mutating func run() throws -> [TemplateToken] {
        while pos < source.count {
            guard let (tagStart, kind) = nextTag(from: pos) else {
                emitText(Array(source[pos...]), at: pos)
                pos = source.count
                break
            }
            let sign: Unicode.Scalar? = tagStart + 2 < source.count ? source[tagStart + 2] : nil
            var text = Array(source[pos..<tagStart])
            if sign == "-" {
                while let last = text.last, last.properties.isWhitespace { text.removeLast() }
            } else if sign != "+" && kind != .variable {
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if lineStart > 0 || lineStarting, text[lineStart...].allSatisfy({ $0.properties.isWhitespace }) {
                    text.removeSubrange(lineStart...)
                }
            }
            emitText(text, at: pos)
            pos = tagStart + 2 + (sign == "-" || sign == "+" ? 1 : 0)
            switch kind {
            case .comment: try skipComment(openedAt: tagStart)
            case .variable, .block: try lexTag(kind, openedAt: tagStart)
            }
            lineStarting = pos > 0 && source[pos - 1] == "\n"
        }
        tokens.append(TemplateToken(kind: .eof, location: location(source.count)))
        return tokens
    }

    private func nextTag(from start: Int) -> (Int, TagKind)? {
        var index = start
        while index + 1 < source.count {
            if source[index] == "{" {
                switch source[index + 1] {
                case "{": return (index, .variable)
                case "%": return (index, .block)
                case "#": return (index, .comment)
                default: break
                }
            }
            index += 1
        }
        return nil
    }

    private mutating func emitText(_ text: [Unicode.Scalar], at offset: Int) {
        guard !text.isEmpty else { return }
        var string = String.UnicodeScalarView()
        string.append(contentsOf: text)
        tokens.append(TemplateToken(kind: .text(String(string)), location: location(offset)))
    }

    /// Applies the whitespace rule of a closing delimiter that ends just before `pos`.
    private mutating func applyEndControl(sign: Unicode.Scalar?, trimsNewline: Bool) {
        if sign == "-" {
            while pos < source.count, source[pos].properties.isWhitespace { pos += 1 }
        } else if sign != "+" && trimsNewline && pos < source.count && source[pos] == "\n" {
            pos += 1
        }
    }

    private mutating func skipComment(openedAt start: Int) throws {
        var index = pos
        while index + 1 < source.count, !(source[index] == "#" && source[index + 1] == "}") { index += 1 }
        guard index + 1 < source.count else { throw syntaxError("unterminated comment", at: start) }
        let sign: Unicode.Scalar? = index > pos ? source[index - 1] : nil
        pos = index + 2
        applyEndControl(sign: sign, trimsNewline: true)
    }

    private mutating func lexTag(_ kind: TagKind, openedAt start: Int) throws {
        let isBlock = kind == .block
        tokens.append(TemplateToken(kind: isBlock ? .blockBegin : .variableBegin, location: location(start)))
        let close = isBlock ? "%}" : "}}"
        var depth = 0
        while true {
            while pos < source.count, source[pos].properties.isWhitespace { pos += 1 }
            guard pos < source.count else {
                throw syntaxError("unclosed tag, expected '\(close)'", at: start)
            }
            if depth == 0 {
                for sign in ["-", "+", ""] where startsWith(sign + close, at: pos) {
                    let endLocation = location(pos)
                    pos += sign.count + 2
                    applyEndControl(sign: sign.unicodeScalars.first, trimsNewline: isBlock)
                    tokens.append(TemplateToken(kind: isBlock ? .blockEnd : .variableEnd, location: endLocation))
                    return
                }
            }
            let token = try lexExpressionToken()
            if case .op(let op) = token.kind {
                if ["(", "[", "{"].contains(op) { depth += 1 }
                if [")", "]", "}"].contains(op) { depth = max(0, depth - 1) }
            }
            tokens.append(token)
        }
    }
}
