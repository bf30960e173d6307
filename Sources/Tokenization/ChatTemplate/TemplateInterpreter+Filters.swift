import Foundation

/// Jinja's built-in filters that chat templates use, plus transformers' `tojson`.
extension TemplateInterpreter {
    static let filterNames: Set<String> = [
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "first", "float", "indent", "int", "items",
        "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse",
        "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique",
        "upper",
    ]

    func applyFilter(_ name: String, _ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue
    {
        switch name {
        case "trim":
            let chars = arguments.value(0, "chars").flatMap { if case .string(let s) = $0 { s } else { nil } }
            return .string(PythonString.strip(value.str, chars, .both))
        case "upper": return .string(value.str.uppercased())
        case "lower": return .string(value.str.lowercased())
        case "capitalize": return .string(PythonString.capitalize(value.str))
        case "title": return .string(PythonString.jinjaTitle(value.str))
        case "string":
            if case .iterator(let iterator) = value, iterator.isGenerator {
                throw ChatTemplateError(.unsupported, "converting a \(iterator.typeName) to a string")
            }
            return .string(value.str)
        case "safe": return .string(value.str)
        case "length", "count": return .int(try Python.length(value))
        case "default", "d":
            let fallback = arguments.value(0, "default_value") ?? .string("")
            let boolean = arguments.value(1, "boolean")?.isTruthy ?? false
            return value.isUndefined || (boolean && !value.isTruthy) ? fallback : value
        case "replace":
            let count = arguments.value(2, "count")?.integer ?? -1
            return .string(
                PythonString.replace(
                    value.str, arguments.value(0, "old")?.str ?? "", arguments.value(1, "new")?.str ?? "", count: count)
            )
        case "int", "float":
            if case .undefined(let hint) = value { throw ChatTemplateError(.runtime, hint) }
            if name == "int" { return integerFilter(value, default: arguments.value(0, "default") ?? .int(0)) }
            return floatFilter(value, default: arguments.value(0, "default") ?? .double(0))
        case "abs":
            if let integer = value.integer { return .int(abs(integer)) }
            guard let number = value.numeric else {
                throw Python.typeError("bad operand type for abs(): '\(value.typeName)'")
            }
            return .double(abs(number))
        case "round":
            guard let number = value.numeric else { throw Python.typeError("round needs a number") }
            let precision = arguments.value(0, "precision")?.integer ?? 0
            let scale = pow(10, Double(precision))
            let method = arguments.value(1, "method")?.str ?? "common"
            if method == "ceil" || method == "floor" {
                return .double((number * scale).rounded(method == "ceil" ? .up : .down) / scale)
            }
            // Python's round(int, ndigits) returns the int unchanged; round(float, n) rounds the exact binary
            // value half-to-even, which is what C's "%.nf" does (2.675 -> 2.67).
            if let integer = value.integer { return .int(integer) }
            guard precision >= 0, number.isFinite else {
                return .double((number * scale).rounded(.toNearestOrEven) / scale)
            }
            return .double(Double(String(format: "%.\(precision)f", number)) ?? number)
        case "tojson": return .string(try toJSON(value, arguments))
        case "first":
            return try Python.iterate(value).first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            if case .iterator(let iterator) = value, iterator.isGenerator {
                throw Python.typeError("'\(iterator.typeName)' object is not reversible")
            }
            return try Python.iterate(value).last ?? .undefined(hint: "No last item, sequence was empty.")
        case "list": return .list(try Python.iterate(value))
        case "reverse":
            if case .string(let text) = value {
                return .string(String(String.UnicodeScalarView(text.unicodeScalars.reversed())))
            }
            if case .iterator(let iterator) = value, iterator.isGenerator {
                return .list(try Python.iterate(value).reversed())
            }
            guard let items = try? Python.iterate(value) else {
                throw ChatTemplateError(.runtime, "argument must be iterable")
            }
            let reversedName = value.typeName == "list" ? "list_reverseiterator" : "reversed"
            return generator(reversedName) { items.reversed() }
        case "join": return try joinFilter(value, arguments)
        case "items":
            return generator {
                switch value {
                case .undefined: return []
                case .dict(let dict): return dict.pairs.map { .tuple([.string($0.key), $0.value]) }
                default: throw Python.typeError("Can only get item pairs from a mapping.")
                }
            }
        case "dictsort": return try dictsortFilter(value, arguments)
        case "sort": return try sortFilter(value, arguments)
        case "unique": return try uniqueFilter(value, arguments)
        case "min", "max":
            let items = try Python.iterate(value).map { try attributeOf($0, arguments.value(1, "attribute")) }
            let sorted = try sortValues(items, caseSensitive: arguments.value(0, "case_sensitive")?.isTruthy ?? false)
            return (name == "min" ? sorted.first : sorted.last)
                ?? .undefined(hint: "No \(name) item, sequence was empty.")
        case "sum":
            var total = arguments.value(1, "start") ?? .int(0)
            for item in try Python.iterate(value) {
                total = try Python.binary("+", total, try attributeOf(item, arguments.value(0, "attribute")))
            }
            return total
        case "map": return try mapFilter(value, arguments)
        case "select", "reject", "selectattr", "rejectattr": return try selectFilter(name, value, arguments)
        case "indent":
            guard case .string(let text) = value else {
                throw Python.typeError("indent needs a string, got '\(value.typeName)'")
            }
            return .string(indentFilter(text, arguments))
        case "attr": return try Python.getattr(value, arguments.value(0, "name")?.str ?? "")
        default: throw ChatTemplateError(.unsupported, "filter '\(name)'")
        }
    }

    private func toJSON(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> String {
        var indent: String?
        switch arguments.value(1, "indent") {
        case .int(let width)?: indent = String(repeating: " ", count: max(0, width))
        case .string(let unit)?: indent = unit
        default: indent = nil
        }
        var separators: (String, String)?
        if let given = arguments.value(2, "separators"), case .list(let items) = given, items.count == 2 {
            separators = (items[0].str, items[1].str)
        } else if let given = arguments.value(2, "separators"), case .tuple(let items) = given, items.count == 2 {
            separators = (items[0].str, items[1].str)
        }
        if let ensureASCII = arguments.value(0, "ensure_ascii"), ensureASCII.isTruthy {
            throw ChatTemplateError(.unsupported, "tojson(ensure_ascii=true)")
        }
        let encoder = PythonJSONEncoder(
            indent: indent, separators: separators, sortKeys: arguments.value(3, "sort_keys")?.isTruthy ?? false)
        return try encoder.encode(value)
    }

    private func integerFilter(_ value: TemplateValue, default fallback: TemplateValue) -> TemplateValue {
        switch value {
        case .bool, .int: return .int(value.integer!)
        case .double(let number): return number.isFinite ? .int(Int(number)) : fallback
        case .string(let text):
            let trimmed = PythonString.strip(text, nil, .both).replacingOccurrences(of: "_", with: "")
            if let integer = Int(trimmed) { return .int(integer) }
            if let number = Double(trimmed), number.isFinite { return .int(Int(number)) }
            return fallback
        default: return fallback
        }
    }

    private func floatFilter(_ value: TemplateValue, default fallback: TemplateValue) -> TemplateValue {
        if let number = value.numeric { return .double(number) }
        if case .string(let text) = value, let number = Double(PythonString.strip(text, nil, .both)) {
            return .double(number)
        }
        return fallback
    }

    /// `value.attribute` for the `attribute=` arguments (dotted paths and integer segments allowed).
    func attributeOf(_ value: TemplateValue, _ attribute: TemplateValue?) throws -> TemplateValue {
        guard let attribute, !attribute.isUndefined, attribute.typeName != "NoneType" else { return value }
        if let index = attribute.integer { return try Python.getitem(value, .int(index)) }
        var current = value
        for part in attribute.str.split(separator: ".") {
            let key: TemplateValue = Int(part).map(TemplateValue.int) ?? .string(String(part))
            current = try Python.getitem(current, key)
        }
        return current
    }

    private func joinFilter(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        let separator = arguments.value(0, "d")?.str ?? ""
        let items = try Python.iterate(value).map { try attributeOf($0, arguments.value(1, "attribute")) }
        return .string(items.map(\.str).joined(separator: separator))
    }

    private func sortKey(_ value: TemplateValue, caseSensitive: Bool) -> TemplateValue {
        if !caseSensitive, case .string(let text) = value { return .string(text.lowercased()) }
        return value
    }

    private func sortValues(
        _ items: [TemplateValue], caseSensitive: Bool, keys: [TemplateValue]? = nil
    ) throws -> [TemplateValue] {
        let keyed = zip(items, keys ?? items).map { ($0, sortKey($1, caseSensitive: caseSensitive)) }
        var failure: Error?
        let sorted = keyed.enumerated().sorted { lhs, rhs in
            do {
                let order = try Python.ordering(lhs.element.1, rhs.element.1)
                return order != 0 ? order < 0 : lhs.offset < rhs.offset
            } catch {
                failure = error
                return lhs.offset < rhs.offset
            }
        }
        if let failure { throw failure }
        return sorted.map(\.element.0)
    }

    private func sortFilter(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        let items = try Python.iterate(value)
        let keys = try items.map { try attributeOf($0, arguments.value(2, "attribute")) }
        var sorted = try sortValues(
            items, caseSensitive: arguments.value(1, "case_sensitive")?.isTruthy ?? false, keys: keys)
        if arguments.value(0, "reverse")?.isTruthy ?? false { sorted.reverse() }
        return .list(sorted)
    }

    private func dictsortFilter(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        guard case .dict(let dict) = value else { throw Python.typeError("dictsort filter needs a mapping") }
        let byValue = arguments.value(1, "by")?.str == "value"
        let items = dict.pairs.map { TemplateValue.tuple([.string($0.key), $0.value]) }
        let keys = dict.pairs.map { byValue ? $0.value : .string($0.key) }
        var sorted = try sortValues(
            items, caseSensitive: arguments.value(0, "case_sensitive")?.isTruthy ?? false, keys: keys)
        if arguments.value(2, "reverse")?.isTruthy ?? false { sorted.reverse() }
        return .list(sorted)
    }

    /// A lazy, single-use generator value, as Jinja's generator filters return.
    func generator(_ name: String = "generator", _ body: @escaping () throws -> [TemplateValue]) -> TemplateValue {
        .iterator(TemplateIterator(.generator(name), body))
    }

    private func uniqueFilter(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        let caseSensitive = arguments.value(0, "case_sensitive")?.isTruthy ?? false
        return generator { [unowned self] in
            var seen: [TemplateValue] = []
            var result: [TemplateValue] = []
            for item in try Python.iterate(value) {
                let key = sortKey(try attributeOf(item, arguments.value(1, "attribute")), caseSensitive: caseSensitive)
                switch key {
                case .list, .dict: throw Python.typeError("unhashable type: '\(key.typeName)'")
                default: break
                }
                if !seen.contains(where: { Python.equals($0, key) }) {
                    seen.append(key)
                    result.append(item)
                }
            }
            return result
        }
    }

    /// `map` is a lazy generator that yields nothing for a falsy input, as in Jinja.
    private func mapFilter(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        generator { [unowned self] in value.isTruthy ? try mapItems(try Python.iterate(value), arguments) : [] }
    }

    private func mapItems(_ items: [TemplateValue], _ arguments: TemplateCallArguments) throws -> [TemplateValue] {
        if let attribute = arguments.keyword.first(where: { $0.0 == "attribute" })?.1 {
            let fallback = arguments.keyword.first { $0.0 == "default" }?.1
            return try items.map { item in
                let result = try attributeOf(item, attribute)
                return result.isUndefined ? (fallback ?? result) : result
            }
        }
        guard case .string(let filter)? = arguments.positional.first else {
            throw ChatTemplateError(.runtime, "map needs a filter name or attribute=")
        }
        let rest = TemplateCallArguments(
            positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword)
        return try items.map { try applyFilter(filter, $0, rest) }
    }

    /// `select`/`reject`/`selectattr`/`rejectattr`: lazy generators that yield nothing for a falsy input.
    private func selectFilter(
        _ name: String, _ value: TemplateValue, _ arguments: TemplateCallArguments
    ) throws -> TemplateValue {
        generator { [unowned self] in value.isTruthy ? try selectItems(name, value, arguments) : [] }
    }

    private func selectItems(
        _ name: String, _ value: TemplateValue, _ arguments: TemplateCallArguments
    ) throws -> [TemplateValue] {
        let byAttribute = name.hasSuffix("attr")
        let keeps = name.hasPrefix("select")
        var positional = arguments.positional
        var attribute: TemplateValue?
        if byAttribute {
            guard !positional.isEmpty else { throw ChatTemplateError(.runtime, "\(name) needs an attribute name") }
            attribute = positional.removeFirst()
        }
        let test = positional.first.map(\.str)
        let testArguments = TemplateCallArguments(positional: Array(positional.dropFirst()), keyword: [])
        return try Python.iterate(value).filter { item in
            let subject = try attributeOf(item, attribute)
            let passes = try test.map { try applyTest($0, subject, testArguments) } ?? subject.isTruthy
            return passes == keeps
        }
    }

    private func indentFilter(_ text: String, _ arguments: TemplateCallArguments) -> String {
        let unit: String
        switch arguments.value(0, "width") {
        case .string(let given)?: unit = given
        case let width?: unit = String(repeating: " ", count: width.integer ?? 4)
        case nil: unit = "    "
        }
        let first = arguments.value(1, "first")?.isTruthy ?? false
        let blank = arguments.value(2, "blank")?.isTruthy ?? false
        var lines = PythonString.splitLines(text + "\n")
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + unit)
        } else {
            result = lines.isEmpty ? "" : lines.removeFirst()
            if !lines.isEmpty { result += "\n" + lines.map { $0.isEmpty ? $0 : unit + $0 }.joined(separator: "\n") }
        }
        return first ? unit + result : result
    }
}
