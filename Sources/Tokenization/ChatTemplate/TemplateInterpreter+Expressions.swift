extension TemplateInterpreter {
    func evaluate(_ expression: TemplateExpression) throws -> TemplateValue {
        switch expression {
        case .literal(let literal):
            return TemplateValue(literal)
        case .name(let name, _):
            return lookup(name)
        case .list(let items):
            return .list(try items.map(evaluate))
        case .tuple(let items):
            return .tuple(try items.map(evaluate))
        case .dict(let pairs):
            var dict = TemplateDict()
            for (keyExpression, valueExpression) in pairs {
                guard case .string(let key) = try evaluate(keyExpression) else {
                    throw ChatTemplateError(.unsupported, "dict literal keys other than strings")
                }
                dict[key] = try evaluate(valueExpression)
            }
            return .dict(dict)
        case .attribute(let base, let name):
            return try Python.getattr(try evaluate(base), name)
        case .item(let base, let key):
            return try Python.getitem(try evaluate(base), try evaluate(key))
        case .slice(let base, let start, let stop, let step):
            return try Python.slice(
                try evaluate(base), start: try start.map(evaluate), stop: try stop.map(evaluate),
                step: try step.map(evaluate))
        case .call(let callee, let arguments, let location):
            return try located(location) { try call(callee, arguments) }
        case .filter(let base, let name, let arguments, let location):
            return try located(location) {
                try applyFilter(name, try evaluate(base), try evaluateArguments(arguments))
            }
        case .test(let base, let name, let arguments, let negated, let location):
            return try located(location) {
                let result = try applyTest(name, try evaluate(base), try evaluateArguments(arguments))
                return .bool(result != negated)
            }
        case .unary(let op, let operand):
            return try Python.unary(op, try evaluate(operand))
        case .binary(let op, let left, let right, let location):
            let lhs = try evaluate(left)
            let rhs = try evaluate(right)
            return try located(location) { try Python.binary(op, lhs, rhs) }
        case .compare(let first, let operations, let location):
            var left = try evaluate(first)
            for (op, rightExpression) in operations {
                let right = try evaluate(rightExpression)
                guard try located(location, { try Python.compare(op, left, right) }) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let left, let right):
            let lhs = try evaluate(left)
            return lhs.isTruthy ? try evaluate(right) : lhs
        case .or(let left, let right):
            let lhs = try evaluate(left)
            return lhs.isTruthy ? lhs : try evaluate(right)
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            guard let otherwise else { return .undefined(hint: "the inline if-expression evaluated to false") }
            return try evaluate(otherwise)
        }
    }

    func evaluateArguments(_ arguments: TemplateArguments) throws -> TemplateCallArguments {
        TemplateCallArguments(
            positional: try arguments.positional.map(evaluate),
            keyword: try arguments.keyword.map { ($0.0, try evaluate($0.1)) })
    }

    /// Calls a function value, or a method when the callee is `value.method` on a str, dict or list.
    private func call(_ callee: TemplateExpression, _ arguments: TemplateArguments) throws -> TemplateValue {
        if case .attribute(let baseExpression, let name) = callee {
            let base = try evaluate(baseExpression)
            switch base {
            case .string, .list, .tuple:
                return try Python.callMethod(base, name, try evaluateArguments(arguments))
            case .dict(let dict) where dict[name] == nil:
                return try Python.callMethod(base, name, try evaluateArguments(arguments))
            default:
                return try callValue(try Python.getattr(base, name), arguments, describedAs: name)
            }
        }
        var description = "object"
        if case .name(let name, _) = callee { description = name }
        return try callValue(try evaluate(callee), arguments, describedAs: description)
    }

    private func callValue(
        _ value: TemplateValue, _ arguments: TemplateArguments, describedAs name: String
    ) throws -> TemplateValue {
        switch value {
        case .function(let function):
            return try function.body(try evaluateArguments(arguments))
        case .undefined(let hint):
            throw ChatTemplateError(.runtime, hint)
        default:
            throw ChatTemplateError(.runtime, "'\(value.typeName)' object '\(name)' is not callable")
        }
    }
}
