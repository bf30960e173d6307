/// Jinja's built-in tests (`x is defined`, `x is string`, `x is divisibleby 3`, ...).
extension TemplateInterpreter {
    static let testNames: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "float", "ge",
        "gt", "in", "integer", "iterable", "le", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas",
        "sequence", "string", "true", "undefined", "upper", "==", "!=", "<", "<=", ">", ">=", "greaterthan",
        "lessthan",
    ]

    func applyTest(_ name: String, _ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> Bool {
        func argument() throws -> TemplateValue {
            guard let first = arguments.positional.first ?? arguments.keyword.first?.1 else {
                throw ChatTemplateError(.runtime, "test '\(name)' needs an argument")
            }
            return first
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number": return value.numeric != nil
        case "callable":
            switch value {
            case .function, .undefined: return true
            default: return false
            }
        case "escaped": return false
        case "iterable":
            switch value {
            case .string, .list, .tuple, .dict, .undefined, .iterator: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .string, .list, .tuple, .dict, .undefined: return true
            default: return false
            }
        case "lower", "upper": return PythonString.isCased(value.str, upper: name == "upper")
        case "odd", "even":
            let remainder = try Python.binary("%", value, .int(2))
            return Python.equals(remainder, .int(name == "odd" ? 1 : 0))
        case "divisibleby":
            return Python.equals(try Python.binary("%", value, try argument()), .int(0))
        case "eq", "equalto", "==": return Python.equals(value, try argument())
        case "ne", "!=": return !Python.equals(value, try argument())
        case "lt", "lessthan", "<": return try Python.compare("<", value, try argument())
        case "le", "<=": return try Python.compare("<=", value, try argument())
        case "gt", "greaterthan", ">": return try Python.compare(">", value, try argument())
        case "ge", ">=": return try Python.compare(">=", value, try argument())
        case "in": return try Python.contains(try argument(), value)
        case "sameas":
            let other = try argument()
            switch (value, other) {
            case (.namespace(let a), .namespace(let b)): return a === b
            case (.function(let a), .function(let b)): return a === b
            case (.list, _), (.tuple, _), (.dict, _): return false
            default: return value.typeName == other.typeName && Python.equals(value, other)
            }
        default: throw ChatTemplateError(.unsupported, "test '\(name)'")
        }
    }
}
