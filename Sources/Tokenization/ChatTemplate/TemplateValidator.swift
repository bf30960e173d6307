/// Checks a parsed template for filters and tests the interpreter does not implement, so such a template fails
/// when it is loaded rather than on the first request that reaches the construct.
enum TemplateValidator {
    static func validate(_ nodes: [TemplateNode]) throws {
        for node in nodes { try validate(node) }
    }

    private static func validate(_ node: TemplateNode) throws {
        switch node {
        case .text, .breakLoop, .continueLoop: return
        case .output(let expression, _), .set(_, let expression, _): try validate(expression)
        case .ifChain(let branches, let otherwise, _):
            for (condition, body) in branches {
                try validate(condition)
                try validate(body)
            }
            try validate(otherwise)
        case .forLoop(let loop):
            try validate(loop.iterable)
            if let condition = loop.condition { try validate(condition) }
            try validate(loop.body)
            try validate(loop.otherwise)
        case .setBlock(_, let body, _), .generation(let body): try validate(body)
        case .macro(let definition):
            for expression in definition.defaults.values { try validate(expression) }
            try validate(definition.body)
        }
    }

    private static func validate(_ arguments: TemplateArguments) throws {
        for expression in arguments.positional { try validate(expression) }
        for (_, expression) in arguments.keyword { try validate(expression) }
    }

    private static func validate(_ expression: TemplateExpression) throws {
        switch expression {
        case .literal, .name: return
        case .list(let items), .tuple(let items): for item in items { try validate(item) }
        case .dict(let pairs):
            for (key, value) in pairs {
                try validate(key)
                try validate(value)
            }
        case .attribute(let base, _), .unary(_, let base), .not(let base): try validate(base)
        case .item(let base, let key):
            try validate(base)
            try validate(key)
        case .slice(let base, let start, let stop, let step):
            for part in [base, start, stop, step].compactMap({ $0 }) { try validate(part) }
        case .call(let callee, let arguments, _):
            try validate(callee)
            try validate(arguments)
        case .filter(let base, let name, let arguments, let location):
            guard TemplateInterpreter.filterNames.contains(name) else {
                throw ChatTemplateError(.unsupported, "filter '\(name)'", line: location.line, column: location.column)
            }
            try validate(base)
            try validate(arguments)
        case .test(let base, let name, let arguments, _, let location):
            guard TemplateInterpreter.testNames.contains(name) else {
                throw ChatTemplateError(.unsupported, "test '\(name)'", line: location.line, column: location.column)
            }
            try validate(base)
            try validate(arguments)
        case .binary(_, let left, let right, _), .and(let left, let right), .or(let left, let right):
            try validate(left)
            try validate(right)
        case .compare(let first, let operations, _):
            try validate(first)
            for (_, operand) in operations { try validate(operand) }
        case .conditional(let condition, let then, let otherwise):
            try validate(condition)
            try validate(then)
            if let otherwise { try validate(otherwise) }
        }
    }
}
