import Foundation

/// Python semantics of the operations Jinja compiles to: attribute and item access, slicing, arithmetic,
/// comparison, membership and iteration. Errors use CPython's wording where templates or users may see it.
enum Python {
    static func typeError(_ message: String) -> ChatTemplateError { ChatTemplateError(.runtime, message) }

    /// The elements `for x in value` visits: list items, dict keys, string characters; Undefined is empty.
    static func iterate(_ value: TemplateValue) throws -> [TemplateValue] {
        switch value {
        case .undefined: return []
        case .list(let items), .tuple(let items): return items
        case .dict(let dict): return dict.keys.map(TemplateValue.string)
        case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
        case .iterator(let iterator): return try iterator.items()
        default: throw typeError("'\(value.typeName)' object is not iterable")
        }
    }

    /// `len(value)`; Undefined has length 0 as in Jinja.
    static func length(_ value: TemplateValue) throws -> Int {
        switch value {
        case .undefined: return 0
        case .string(let text): return text.unicodeScalars.count
        case .list(let items), .tuple(let items): return items.count
        case .dict(let dict): return dict.count
        case .iterator(let iterator) where !iterator.isGenerator: return try iterator.items().count
        default: throw typeError("object of type '\(value.typeName)' has no len()")
        }
    }

    /// Jinja's `environment.getattr`: dict keys and namespace attributes; anything missing is Undefined.
    static func getattr(_ value: TemplateValue, _ name: String) throws -> TemplateValue {
        switch value {
        case .undefined(let hint):
            throw ChatTemplateError(.runtime, hint)
        case .dict(let dict):
            return dict[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined(hint: "'Namespace' object has no attribute '\(name)'")
        case .loop(let loop):
            return loop.attribute(name) ?? .undefined(hint: "'LoopContext' object has no attribute '\(name)'")
        default:
            return .undefined(hint: "'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    /// Jinja's `environment.getitem`: `value[key]`, falling back to Undefined when it is missing.
    static func getitem(_ value: TemplateValue, _ key: TemplateValue) throws -> TemplateValue {
        var missing: TemplateValue { .undefined(hint: "'\(value.typeName) object' has no element \(key.repr)") }
        switch (value, key) {
        case (.undefined(let hint), _):
            throw ChatTemplateError(.runtime, hint)
        case (.dict, .string(let name)), (.namespace, .string(let name)):
            return try getattr(value, name)
        case (.list(let items), _), (.tuple(let items), _):
            guard let index = key.integer else { return missing }
            let resolved = index < 0 ? index + items.count : index
            return items.indices.contains(resolved) ? items[resolved] : missing
        case (.string(let text), _):
            guard let index = key.integer else { return missing }
            let scalars = Array(text.unicodeScalars)
            let resolved = index < 0 ? index + scalars.count : index
            return scalars.indices.contains(resolved) ? .string(String(scalars[resolved])) : missing
        default:
            return missing
        }
    }

    /// `value[start:stop:step]` for lists, tuples and strings, with Python's index clamping.
    static func slice(
        _ value: TemplateValue, start: TemplateValue?, stop: TemplateValue?, step: TemplateValue?
    ) throws -> TemplateValue {
        func bound(_ value: TemplateValue?) throws -> Int? {
            switch value {
            case nil, .none?, .undefined?: return nil
            case let value?:
                guard let integer = value.integer else { throw typeError("slice indices must be integers or None") }
                return integer
            }
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw typeError("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ index: Int?, _ fallback: Int) -> Int {
                guard var index else { return fallback }
                if index < 0 { index += count }
                if stepValue > 0 { return min(max(index, 0), count) }
                return min(max(index, -1), count - 1)
            }
            let first = clamp(try bound(start), stepValue > 0 ? 0 : count - 1)
            let last = clamp(try bound(stop), stepValue > 0 ? count : -1)
            return Array(stride(from: first, to: last, by: stepValue))
        }
        switch value {
        case .list(let items): return .list(try indices(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(try indices(items.count).map { items[$0] })
        case .string(let text):
            let scalars = Array(text.unicodeScalars)
            var result = String.UnicodeScalarView()
            for index in try indices(scalars.count) { result.append(scalars[index]) }
            return .string(String(result))
        case .undefined(let hint): throw ChatTemplateError(.runtime, hint)
        // NOTE: Jinja compiles slices to plain Python subscripts, so unlike `x[i]` they raise instead of
        // returning Undefined.
        default: throw typeError("'\(value.typeName)' object is not subscriptable")
        }
    }

    static func unary(_ op: String, _ value: TemplateValue) throws -> TemplateValue {
        switch value {
        case .bool, .int: return .int(op == "-" ? -value.integer! : value.integer!)
        case .double(let number): return .double(op == "-" ? -number : number)
        case .undefined(let hint): throw ChatTemplateError(.runtime, hint)
        default: throw typeError("bad operand type for unary \(op): '\(value.typeName)'")
        }
    }
}
