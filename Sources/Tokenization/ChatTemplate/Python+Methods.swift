/// Methods templates call on values: `str` methods (strip, split, startswith, ...), `dict.items/keys/values/get`.
/// Mutating methods are refused, as transformers' ImmutableSandboxedEnvironment refuses them.
extension Python {
    private static let mutatingMethods: Set<String> = [
        "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "sort", "reverse",
    ]

    static func callMethod(
        _ value: TemplateValue, _ name: String, _ arguments: TemplateCallArguments
    ) throws -> TemplateValue {
        switch value {
        case .string(let text): return try stringMethod(text, name, arguments)
        case .dict(let dict): return try dictMethod(dict, name, arguments)
        default:
            if mutatingMethods.contains(name) {
                throw ChatTemplateError(.runtime, "access to mutating method '\(name)' is unsafe in a chat template")
            }
            throw ChatTemplateError(.unsupported, "method '\(name)' on a \(value.typeName)")
        }
    }

    private static func dictMethod(
        _ dict: TemplateDict, _ name: String, _ arguments: TemplateCallArguments
    ) throws -> TemplateValue {
        switch name {
        case "items":
            return .iterator(
                TemplateIterator(.view("dict_items")) { dict.pairs.map { .tuple([.string($0.key), $0.value]) } })
        case "keys": return .iterator(TemplateIterator(.view("dict_keys")) { dict.keys.map(TemplateValue.string) })
        case "values": return .iterator(TemplateIterator(.view("dict_values")) { dict.pairs.map(\.value) })
        case "get":
            guard case .string(let key)? = arguments.value(0, "key") else {
                return arguments.value(1, "default") ?? .none
            }
            return dict[key] ?? arguments.value(1, "default") ?? .none
        default:
            if mutatingMethods.contains(name) {
                throw ChatTemplateError(.runtime, "access to mutating method '\(name)' is unsafe in a chat template")
            }
            throw ChatTemplateError(.unsupported, "dict method '\(name)'")
        }
    }

    /// A string argument, or nil when absent or None.
    private static func optionalString(_ value: TemplateValue?) throws -> String? {
        switch value {
        case nil, .none?: return nil
        case .string(let text)?: return text
        case let other?: throw typeError("expected a string argument, got '\(other.typeName)'")
        }
    }

    private static func stringMethod(
        _ text: String, _ name: String, _ arguments: TemplateCallArguments
    ) throws -> TemplateValue {
        switch name {
        case "strip": return .string(PythonString.strip(text, try optionalString(arguments.value(0, "chars")), .both))
        case "lstrip":
            return .string(PythonString.strip(text, try optionalString(arguments.value(0, "chars")), .leading))
        case "rstrip":
            return .string(PythonString.strip(text, try optionalString(arguments.value(0, "chars")), .trailing))
        case "upper": return .string(text.uppercased())
        case "lower": return .string(text.lowercased())
        case "title": return .string(PythonString.title(text))
        case "capitalize": return .string(PythonString.capitalize(text))
        case "startswith", "endswith":
            var candidates: [String] = []
            switch arguments.value(0, "prefix") {
            case .string(let single)?: candidates = [single]
            case .tuple(let items)?, .list(let items)?: candidates = items.compactMap { try? optionalString($0) }
            default: throw typeError("\(name) first arg must be str or a tuple of str")
            }
            let scalars = Array(text.unicodeScalars)
            return .bool(
                candidates.contains { candidate in
                    let needle = Array(candidate.unicodeScalars)
                    return name == "startswith"
                        ? scalars.starts(with: needle) : scalars.reversed().starts(with: needle.reversed())
                })
        case "split", "rsplit":
            let separator = try optionalString(arguments.value(0, "sep"))
            let limit = arguments.value(1, "maxsplit")?.integer ?? -1
            let parts = try PythonString.split(text, separator, maxSplit: limit, fromRight: name == "rsplit")
            return .list(parts.map(TemplateValue.string))
        case "splitlines": return .list(PythonString.splitLines(text).map(TemplateValue.string))
        case "replace":
            guard let old = try optionalString(arguments.value(0, "old")),
                let new = try optionalString(arguments.value(1, "new"))
            else { throw typeError("replace() takes at least 2 string arguments") }
            return .string(PythonString.replace(text, old, new, count: arguments.value(2, "count")?.integer ?? -1))
        case "join":
            let items = try iterate(arguments.value(0, "iterable") ?? .list([]))
            return .string(
                try items.map { item -> String in
                    guard case .string(let part) = item else {
                        throw typeError("sequence item: expected str instance, \(item.typeName) found")
                    }
                    return part
                }.joined(separator: text))
        case "find", "count":
            guard let needle = try optionalString(arguments.value(0, "sub")) else {
                throw typeError("\(name)() needs a string")
            }
            return .int(name == "find" ? PythonString.find(text, needle) : PythonString.count(text, needle))
        case "removeprefix", "removesuffix":
            guard let affix = try optionalString(arguments.value(0, "prefix")) else {
                throw typeError("\(name)() needs a string")
            }
            let scalars = Array(text.unicodeScalars)
            let needle = Array(affix.unicodeScalars)
            var kept = scalars[...]
            if name == "removeprefix", scalars.starts(with: needle) { kept = scalars.dropFirst(needle.count) }
            if name == "removesuffix", scalars.reversed().starts(with: needle.reversed()) {
                kept = scalars.dropLast(needle.count)
            }
            return .string(String(String.UnicodeScalarView(kept)))
        case "isdigit":
            return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal })
        case "isspace": return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.isWhitespace })
        case "format": return .string(try PythonString.format(text, arguments))
        default: throw ChatTemplateError(.unsupported, "string method '\(name)'")
        }
    }
}
