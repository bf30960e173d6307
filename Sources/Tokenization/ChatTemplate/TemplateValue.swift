/// A runtime value while rendering, with Python's data model (what Jinja's compiled code operates on).
///
/// Created fresh for each render; reference types (`TemplateNamespace`, `TemplateFunction`) never leave it.
enum TemplateValue {
    /// Jinja's default `Undefined`: prints as "", is falsy, iterates as empty; `hint` is the UndefinedError text.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    case tuple([TemplateValue])
    case dict(TemplateDict)
    case namespace(TemplateNamespace)
    case function(TemplateFunction)
    /// A Python generator or dict view (what `select`, `map`, `dict.items()` ... return); see `TemplateIterator`.
    case iterator(TemplateIterator)
    /// The `loop` variable inside a `for` body.
    case loop(TemplateLoopContext)

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .list(values.map(TemplateValue.init))
        case .object(let object):
            var dict = TemplateDict()
            for (key, value) in object.pairs { dict[key] = TemplateValue(value) }
            self = .dict(dict)
        }
    }

    init(_ literal: TemplateLiteral) {
        switch literal {
        case .none: self = .none
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .double(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .list(let values), .tuple(let values): return !values.isEmpty
        case .dict(let dict): return dict.count > 0
        case .namespace, .function: return true
        case .iterator(let iterator): return iterator.isTruthy
        case .loop: return true
        }
    }

    /// Python's type name, for error messages that match CPython's wording.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .function: return "function"
        case .iterator(let iterator): return iterator.typeName
        case .loop: return "LoopContext"
        }
    }

    /// A number as Double when this is bool, int or float (Python's numeric tower).
    var numeric: Double? {
        switch self {
        case .bool(let value): return value ? 1 : 0
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// An integer when this is bool or int.
    var integer: Int? {
        switch self {
        case .bool(let value): return value ? 1 : 0
        case .int(let value): return value
        default: return nil
        }
    }

    /// Python `str(value)`; Undefined prints as the empty string.
    var str: String {
        switch self {
        case .undefined: return ""
        case .string(let value): return value
        default: return repr
        }
    }

    /// Python `repr(value)`.
    var repr: String { repr(depth: 0) }

    /// `repr` with a nesting bound: a namespace can contain itself (`{% set ns.me = ns %}`), where Python prints
    /// `{...}`; past 64 levels this prints `...` instead of recursing further.
    func repr(depth: Int) -> String {
        guard depth < 64 else { return "..." }
        let inner = { (value: TemplateValue) in value.repr(depth: depth + 1) }
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return PythonFormat.float(value)
        case .string(let value): return PythonFormat.stringRepr(value)
        case .list(let values): return "[" + values.map(inner).joined(separator: ", ") + "]"
        case .tuple(let values):
            return values.count == 1 ? "(\(inner(values[0])),)" : "(" + values.map(inner).joined(separator: ", ") + ")"
        case .dict(let dict):
            return "{"
                + dict.pairs.map { PythonFormat.stringRepr($0.key) + ": " + inner($0.value) }
                .joined(separator: ", ") + "}"
        case .namespace(let namespace):
            return "<Namespace " + inner(.dict(namespace.attributes)) + ">"
        case .function(let function): return "<function \(function.name)>"
        case .iterator(let iterator): return iterator.repr
        case .loop(let loop): return "<LoopContext \(loop.index + 1)/\(loop.items.count)>"
        }
    }
}

/// A Python dict with string keys, kept in insertion order.
struct TemplateDict {
    private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    var count: Int { keys.count }

    subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var pairs: [(key: String, value: TemplateValue)] { keys.map { ($0, storage[$0]!) } }
}

/// The mutable object `namespace(...)` returns; `{% set ns.attr = v %}` writes through it from inner scopes.
final class TemplateNamespace {
    var attributes: TemplateDict

    init(_ attributes: TemplateDict) { self.attributes = attributes }
}

/// A callable value: a global function (`raise_exception`, `range`, ...), a macro, or `loop.cycle`.
final class TemplateFunction {
    let name: String
    let body: (TemplateCallArguments) throws -> TemplateValue

    init(_ name: String, _ body: @escaping (TemplateCallArguments) throws -> TemplateValue) {
        self.name = name
        self.body = body
    }
}

/// Evaluated call arguments.
struct TemplateCallArguments {
    var positional: [TemplateValue] = []
    var keyword: [(String, TemplateValue)] = []

    /// The argument at `position`, or the keyword `name`, or nil.
    func value(_ position: Int, _ name: String) -> TemplateValue? {
        if position < positional.count { return positional[position] }
        return keyword.first { $0.0 == name }?.1
    }
}
