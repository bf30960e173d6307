/// Builds the statement tree of a template from its tokens; rejects Jinja constructs the interpreter does not
/// implement with an `.unsupported` error naming the construct.
struct TemplateParser {
    private static let unsupportedTags: Set<String> = [
        "include", "import", "from", "extends", "block", "endblock", "with", "endwith", "raw", "call", "filter",
        "do", "autoescape", "trans", "pluralize",
    ]

    var tokens: [TemplateToken]
    var index = 0
    /// How many `for` bodies enclose the current position (reset inside macros); `break`/`continue` need one.
    var loopDepth = 0
    /// Current nesting of blocks and sub-expressions; bounded so a hostile template cannot exhaust the stack.
    var nesting = 0
    static let maxNesting = 200

    mutating func enterNesting() throws {
        nesting += 1
        guard nesting <= Self.maxNesting else { throw error("template nests deeper than \(Self.maxNesting) levels") }
    }

    static func parse(_ source: String) throws -> [TemplateNode] {
        var parser = TemplateParser(tokens: try TemplateLexer.tokenize(source))
        let (nodes, _) = try parser.parseBody(until: [])
        return nodes
    }

    // MARK: - Token helpers

    var current: TemplateToken { tokens[index] }

    mutating func advance() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func isName(_ name: String) -> Bool { current.kind == .name(name) }
    func isOp(_ op: String) -> Bool { current.kind == .op(op) }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        _ = advance()
        return true
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        _ = advance()
        return true
    }

    func error(_ message: String, _ kind: ChatTemplateError.Kind = .syntax) -> ChatTemplateError {
        ChatTemplateError(kind, message, line: current.location.line, column: current.location.column)
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw error("expected '\(op)', found \(current.describedForError)") }
    }

    mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else {
            throw error("expected a name, found \(current.describedForError)")
        }
        _ = advance()
        return name
    }

    mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw error("expected '%}', found \(current.describedForError)") }
        _ = advance()
    }

    // MARK: - Statements

    /// Parses nodes until a block tag whose name is in `endTags`; consumes `{% name` and returns the name.
    mutating func parseBody(until endTags: Set<String>) throws -> ([TemplateNode], String?) {
        try enterNesting()
        defer { nesting -= 1 }
        var nodes: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .eof:
                guard endTags.isEmpty else {
                    let expected = endTags.sorted().map { "{% \($0) %}" }.joined(separator: " or ")
                    throw error("unexpected end of template, expected \(expected)")
                }
                return (nodes, nil)
            case .text(let text):
                _ = advance()
                nodes.append(.text(text))
            case .variableBegin:
                _ = advance()
                let expression = try parseTupleExpression()
                guard current.kind == .variableEnd else {
                    throw error("expected '}}', found \(current.describedForError)")
                }
                _ = advance()
                nodes.append(.output(expression, token.location))
            case .blockBegin:
                _ = advance()
                guard case .name(let tag) = current.kind else {
                    throw error("expected a tag name, found \(current.describedForError)")
                }
                if endTags.contains(tag) {
                    _ = advance()
                    return (nodes, tag)
                }
                nodes.append(try parseStatement(tag, at: token.location))
            default:
                throw error("unexpected \(token.describedForError)")
            }
        }
    }

    private mutating func parseStatement(_ tag: String, at location: SourceLocation) throws -> TemplateNode {
        if Self.unsupportedTags.contains(tag) { throw error("the '{% \(tag) %}' tag is not supported", .unsupported) }
        _ = advance()
        switch tag {
        case "if": return try parseIf(at: location)
        case "for": return try parseFor(at: location)
        case "set": return try parseSet(at: location)
        case "macro": return try parseMacro()
        case "break", "continue":
            guard loopDepth > 0 else {
                throw ChatTemplateError(
                    .syntax, "'\(tag)' outside of a for loop", line: location.line, column: location.column)
            }
            try expectBlockEnd()
            return tag == "break" ? .breakLoop(location) : .continueLoop(location)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .generation(body)
        default:
            throw error("unknown tag '{% \(tag) %}'")
        }
    }

    private mutating func parseIf(at location: SourceLocation) throws -> TemplateNode {
        var branches: [(TemplateExpression, [TemplateNode])] = []
        // Jinja parses if/elif conditions without the inline `a if b else c` form.
        var condition = try parseTupleExpression(withConditional: false)
        while true {
            try expectBlockEnd()
            let (body, tag) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch tag {
            case "elif":
                condition = try parseTupleExpression(withConditional: false)
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"])
                try expectBlockEnd()
                return .ifChain(branches, otherwise: otherwise, location)
            default:
                try expectBlockEnd()
                return .ifChain(branches, otherwise: [], location)
            }
        }
    }

    private mutating func parseFor(at location: SourceLocation) throws -> TemplateNode {
        var targets = [try expectName()]
        while skipOp(",") { targets.append(try expectName()) }
        guard skipName("in") else { throw error("expected 'in' in for loop, found \(current.describedForError)") }
        let iterable = try parseIterable()
        var condition: TemplateExpression?
        if skipName("if") { condition = try parseExpression(withConditional: false) }
        if isName("recursive") { throw error("recursive for loops are not supported", .unsupported) }
        try expectBlockEnd()
        loopDepth += 1
        let (body, tag) = try parseBody(until: ["else", "endfor"])
        loopDepth -= 1
        var otherwise: [TemplateNode] = []
        if tag == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseBody(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(
            ForLoop(
                targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise,
                location: location))
    }

    /// The iterable of a for loop: a tuple-aware expression without a trailing `if` (that is the loop filter).
    private mutating func parseIterable() throws -> TemplateExpression {
        let first = try parseExpression(withConditional: false)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if isName("if") || current.kind == .blockEnd { break }
            items.append(try parseExpression(withConditional: false))
        }
        return .tuple(items)
    }

    private mutating func parseSet(at location: SourceLocation) throws -> TemplateNode {
        let name = try expectName()
        var target = AssignmentTarget.name(name)
        if skipOp(".") {
            target = .attribute(name, try expectName())
        } else if isOp(",") {
            var names = [name]
            while skipOp(",") { names.append(try expectName()) }
            target = .names(names)
        }
        if skipOp("=") {
            let value = try parseTupleExpression()
            try expectBlockEnd()
            return .set(target, value, location)
        }
        guard case .name(let blockName) = target, current.kind == .blockEnd else {
            if isOp("|") { throw error("filtered block set ('{% set x | filter %}') is not supported", .unsupported) }
            throw error("expected '=' in set, found \(current.describedForError)")
        }
        _ = advance()
        let (body, _) = try parseBody(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(blockName, body, location)
    }

    private mutating func parseMacro() throws -> TemplateNode {
        let name = try expectName()
        try expectOp("(")
        var parameters: [String] = []
        var defaults: [String: TemplateExpression] = [:]
        while !isOp(")") {
            let parameter = try expectName()
            parameters.append(parameter)
            if skipOp("=") { defaults[parameter] = try parseExpression() }
            if !skipOp(",") { break }
        }
        try expectOp(")")
        try expectBlockEnd()
        let enclosingLoops = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(until: ["endmacro"])
        loopDepth = enclosingLoops
        if case .name = current.kind { _ = advance() }
        try expectBlockEnd()
        return .macro(MacroDefinition(name: name, parameters: parameters, defaults: defaults, body: body))
    }
}
