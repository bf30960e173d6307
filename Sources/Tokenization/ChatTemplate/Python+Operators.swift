import Foundation

extension Python {
    static func binary(_ op: String, _ lhs: TemplateValue, _ rhs: TemplateValue) throws -> TemplateValue {
        if op == "~" {
            for case .iterator(let iterator) in [lhs, rhs] where iterator.isGenerator {
                throw ChatTemplateError(.unsupported, "converting a \(iterator.typeName) to a string")
            }
            return .string(lhs.str + rhs.str)
        }
        if case .undefined(let hint) = lhs { throw ChatTemplateError(.runtime, hint) }
        if case .undefined(let hint) = rhs { throw ChatTemplateError(.runtime, hint) }
        var unsupported: ChatTemplateError {
            typeError("unsupported operand type(s) for \(op): '\(lhs.typeName)' and '\(rhs.typeName)'")
        }
        switch (op, lhs, rhs) {
        case ("+", .string(let a), .string(let b)): return .string(a + b)
        case ("+", .string, _):
            throw typeError("can only concatenate str (not \"\(rhs.typeName)\") to str")
        case ("+", .list(let a), .list(let b)): return .list(a + b)
        case ("+", .tuple(let a), .tuple(let b)): return .tuple(a + b)
        case ("*", .string(let text), _), ("*", _, .string(let text)):
            guard let count = (lhs.integer ?? rhs.integer) else { throw unsupported }
            try checkRepetition(text.utf8.count, count)
            return .string(String(repeating: text, count: max(0, count)))
        case ("*", .list(let items), _), ("*", _, .list(let items)):
            guard let count = (lhs.integer ?? rhs.integer) else { throw unsupported }
            try checkRepetition(items.count, count)
            return .list(Array(repeating: items, count: max(0, count)).flatMap { $0 })
        default:
            break
        }
        if let a = lhs.integer, let b = rhs.integer { return try integerArithmetic(op, a, b) }
        guard let a = lhs.numeric, let b = rhs.numeric else {
            if op == "%", case .string = lhs {
                throw ChatTemplateError(.unsupported, "printf-style string formatting ('%' on a string)")
            }
            throw unsupported
        }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw typeError("float division by zero") }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw typeError("float floor division by zero") }
            return .double((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw typeError("float modulo") }
            let remainder = fmod(a, b)
            return .double(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case "**":
            if a == 0 && b < 0 { throw typeError("0.0 cannot be raised to a negative power") }
            if a < 0 && b != b.rounded() {
                throw ChatTemplateError(.unsupported, "complex results of '**' (negative base, fractional power)")
            }
            return .double(pow(a, b))
        default: throw unsupported
        }
    }

    /// Repetition (`'ab' * n`) may not build more than 16M elements: a template must not exhaust memory.
    private static func checkRepetition(_ size: Int, _ count: Int) throws {
        guard count <= 0 || size <= 16_000_000 / count else {
            throw ChatTemplateError(.runtime, "repetition result too large")
        }
    }

    private static func integerArithmetic(_ op: String, _ a: Int, _ b: Int) throws -> TemplateValue {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> TemplateValue {
            guard !result.overflow else { throw ChatTemplateError(.unsupported, "integers beyond 64 bits") }
            return .int(result.partialValue)
        }
        switch op {
        case "+": return try checked(a.addingReportingOverflow(b))
        case "-": return try checked(a.subtractingReportingOverflow(b))
        case "*": return try checked(a.multipliedReportingOverflow(by: b))
        case "/":
            guard b != 0 else { throw typeError("division by zero") }
            return .double(Double(a) / Double(b))
        case "//", "%":
            guard b != 0 else { throw typeError("integer division or modulo by zero") }
            var quotient = a / b
            var remainder = a % b
            if remainder != 0 && (remainder < 0) != (b < 0) {
                quotient -= 1
                remainder += b
            }
            return .int(op == "//" ? quotient : remainder)
        case "**":
            guard b >= 0 else {
                guard a != 0 else { throw typeError("0.0 cannot be raised to a negative power") }
                return .double(pow(Double(a), Double(b)))
            }
            var result = 1
            for _ in 0..<b {
                result = try checked(result.multipliedReportingOverflow(by: a)).integer!
            }
            return .int(result)
        default:
            throw typeError("unsupported operand type(s) for \(op): 'int' and 'int'")
        }
    }

    /// Python `==`.
    static func equals(_ lhs: TemplateValue, _ rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.undefined, .undefined), (.none, .none): return true
        // NOTE: byte equality of UTF-8 is code-point equality (Python's), unlike String's canonical `==`.
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count
                && a.pairs.allSatisfy { pair in b[pair.key].map { equals(pair.value, $0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.function(let a), .function(let b)): return a === b
        case (.iterator(let a), .iterator(let b)): return a === b
        case (.loop(let a), .loop(let b)): return a === b
        default:
            if let a = lhs.integer, let b = rhs.integer { return a == b }
            if let a = lhs.numeric, let b = rhs.numeric { return a == b }
            return false
        }
    }

    /// One link of a comparison chain: `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `notin`.
    static func compare(_ op: String, _ lhs: TemplateValue, _ rhs: TemplateValue) throws -> Bool {
        switch op {
        case "==": return equals(lhs, rhs)
        case "!=": return !equals(lhs, rhs)
        case "in": return try contains(rhs, lhs)
        case "notin": return !(try contains(rhs, lhs))
        default:
            let order = try ordering(lhs, rhs, op)
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    /// -1, 0 or 1 for values Python can order (numbers, strings, lists, tuples).
    static func ordering(_ lhs: TemplateValue, _ rhs: TemplateValue, _ op: String = "<") throws -> Int {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)):
            let x = Array(a.unicodeScalars)
            let y = Array(b.unicodeScalars)
            for (p, q) in zip(x, y) where p != q { return p.value < q.value ? -1 : 1 }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (p, q) in zip(a, b) where !equals(p, q) { return try ordering(p, q, op) }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        default:
            if let a = lhs.integer, let b = rhs.integer { return a == b ? 0 : (a < b ? -1 : 1) }
            if let a = lhs.numeric, let b = rhs.numeric { return a == b ? 0 : (a < b ? -1 : 1) }
            if case .undefined(let hint) = lhs { throw ChatTemplateError(.runtime, hint) }
            if case .undefined(let hint) = rhs { throw ChatTemplateError(.runtime, hint) }
            throw typeError(
                "'\(op)' not supported between instances of '\(lhs.typeName)' and '\(rhs.typeName)'")
        }
    }

    /// Python `element in container`.
    static func contains(_ container: TemplateValue, _ element: TemplateValue) throws -> Bool {
        switch container {
        case .undefined: return false
        case .string(let text):
            guard case .string(let needle) = element else {
                throw typeError("'in <string>' requires string as left operand, not \(element.typeName)")
            }
            return PythonString.find(text, needle) >= 0
        case .list(let items), .tuple(let items): return items.contains { equals($0, element) }
        case .iterator(let iterator): return try iterator.items().contains { equals($0, element) }
        case .dict(let dict):
            switch element {
            case .string(let key): return dict[key] != nil
            case .list, .dict: throw typeError("unhashable type: '\(element.typeName)'")
            default: return false
            }
        default:
            throw typeError("argument of type '\(container.typeName)' is not iterable")
        }
    }
}
