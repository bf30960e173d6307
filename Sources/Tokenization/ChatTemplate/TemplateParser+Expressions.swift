/// Expression grammar, with Jinja's precedence (loosest first): conditional `a if c else b`, `or`, `and`, `not`,
/// comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary `- +`, then primary with postfix `.x [i] (args)`,
/// filters `| f` and tests `is t` — so filters bind tighter than any binary operator.
extension TemplateParser {
    mutating func parseTupleExpression(withConditional: Bool = true) throws -> TemplateExpression {
        let first = try parseExpression(withConditional: withConditional)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if current.kind == .blockEnd || current.kind == .variableEnd { break }
            items.append(try parseExpression(withConditional: withConditional))
        }
        return .tuple(items)
    }

    mutating func parseExpression(withConditional: Bool = true) throws -> TemplateExpression {
        try enterNesting()
        defer { nesting -= 1 }
        var expression = try parseOr()
        guard withConditional else { return expression }
        while skipName("if") {
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            expression = .conditional(condition: condition, then: expression, otherwise: otherwise)
        }
        return expression
    }

    private mutating func parseOr() throws -> TemplateExpression {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws -> TemplateExpression {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws -> TemplateExpression {
        try enterNesting()
        defer { nesting -= 1 }
        if skipName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> TemplateExpression {
        let location = current.location
        let first = try parseMath1()
        var operations: [(String, TemplateExpression)] = []
        while true {
            if case .op(let op) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(op) {
                _ = advance()
                operations.append((op, try parseMath1()))
            } else if skipName("in") {
                operations.append(("in", try parseMath1()))
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                _ = advance()
                _ = advance()
                operations.append(("notin", try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? first : .compare(first, operations, location)
    }

    private mutating func parseBinary(
        _ ops: Set<String>, next: (inout TemplateParser) throws -> TemplateExpression
    ) throws -> TemplateExpression {
        var left = try next(&self)
        while case .op(let op) = current.kind, ops.contains(op) {
            let location = current.location
            _ = advance()
            left = .binary(op, left, try next(&self), location)
        }
        return left
    }

    private mutating func parseMath1() throws -> TemplateExpression {
        try parseBinary(["+", "-"]) { try $0.parseConcat() }
    }

    private mutating func parseConcat() throws -> TemplateExpression {
        try parseBinary(["~"]) { try $0.parseMath2() }
    }

    private mutating func parseMath2() throws -> TemplateExpression {
        try parseBinary(["*", "/", "//", "%"]) { try $0.parsePow() }
    }

    private mutating func parsePow() throws -> TemplateExpression {
        try parseBinary(["**"]) { try $0.parseUnary() }
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> TemplateExpression {
        try enterNesting()
        defer { nesting -= 1 }
        var node: TemplateExpression
        if skipOp("-") {
            node = .unary("-", try parseUnary(withFilter: false))
        } else if skipOp("+") {
            node = .unary("+", try parseUnary(withFilter: false))
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        return withFilter ? try parseFilterExpression(node) : node
    }

    private mutating func parsePrimary() throws -> TemplateExpression {
        let token = advance()
        switch token.kind {
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name, token.location)
            }
        case .string(var value):
            while case .string(let more) = current.kind {
                value += more
                _ = advance()
            }
            return .literal(.string(value))
        case .integer(let value): return .literal(.int(value))
        case .float(let value): return .literal(.double(value))
        case .op("("):
            if skipOp(")") { return .tuple([]) }
            let first = try parseExpression()
            guard isOp(",") else {
                try expectOp(")")
                return first
            }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            var items: [TemplateExpression] = []
            while !isOp("]") {
                items.append(try parseExpression())
                if !skipOp(",") { break }
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            var pairs: [(TemplateExpression, TemplateExpression)] = []
            while !isOp("}") {
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
                if !skipOp(",") { break }
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            index -= 1
            throw error("unexpected \(token.describedForError) in expression")
        }
    }

    private mutating func parsePostfix(_ base: TemplateExpression) throws -> TemplateExpression {
        var node = base
        while true {
            if skipOp(".") {
                let token = advance()
                switch token.kind {
                case .name(let name): node = .attribute(node, name)
                case .integer(let value): node = .item(node, .literal(.int(value)))
                default: throw error("expected an attribute name after '.'")
                }
            } else if skipOp("[") {
                node = try parseSubscript(node)
            } else if isOp("(") {
                let location = current.location
                node = .call(node, try parseCallArguments(), location)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ base: TemplateExpression) throws -> TemplateExpression {
        var parts: [TemplateExpression?] = [nil]
        var isSlice = false
        while !isOp("]") {
            if skipOp(":") {
                isSlice = true
                parts.append(nil)
            } else {
                guard parts[parts.count - 1] == nil else { throw error("expected ':' or ']' in subscript") }
                parts[parts.count - 1] = try parseExpression()
            }
        }
        try expectOp("]")
        guard isSlice else {
            guard let key = parts[0] else { throw error("empty subscript") }
            return .item(base, key)
        }
        guard parts.count <= 3 else { throw error("too many ':' in slice") }
        return .slice(
            base, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil)
    }

    mutating func parseCallArguments() throws -> TemplateArguments {
        try expectOp("(")
        var arguments = TemplateArguments()
        while !isOp(")") {
            if case .name(let name) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                _ = advance()
                _ = advance()
                arguments.keyword.append((name, try parseExpression()))
            } else {
                if isOp("*") || isOp("**") { throw error("'*args' and '**kwargs' are not supported", .unsupported) }
                arguments.positional.append(try parseExpression())
            }
            if !skipOp(",") { break }
        }
        try expectOp(")")
        return arguments
    }

    private mutating func parseFilterExpression(_ base: TemplateExpression) throws -> TemplateExpression {
        var node = base
        while true {
            let location = current.location
            if skipOp("|") {
                var name = try expectName()
                while skipOp(".") { name += "." + (try expectName()) }
                let arguments = isOp("(") ? try parseCallArguments() : TemplateArguments()
                node = .filter(node, name: name, arguments, location)
            } else if skipName("is") {
                let negated = skipName("not")
                var name = try expectName()
                while skipOp(".") { name += "." + (try expectName()) }
                var arguments = TemplateArguments()
                if isOp("(") {
                    arguments = try parseCallArguments()
                } else if startsTestArgument {
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                node = .test(node, name: name, arguments, negated: negated, location)
            } else if isOp("(") {
                node = .call(node, try parseCallArguments(), location)
            } else {
                return node
            }
        }
    }

    /// Whether the token after a test name starts its single unparenthesised argument (`x is divisibleby 3`).
    private var startsTestArgument: Bool {
        switch current.kind {
        case .name(let name): return !["else", "or", "and"].contains(name)
        case .string, .integer, .float, .op("["), .op("{"): return true
        default: return false
        }
    }
}
