/// Validates a JSON value against a schema (the common keywords of drafts 4 to 2020-12), so `enum`/`const` values can
/// be filtered by everything else the schema says (`not`, `oneOf`, `patternProperties`…) before they are generated.
/// Throws `unsupported` for keywords it cannot decide (`format` on strings, `$dynamicRef`).
struct SchemaValidator {
    let compiler: JSONSchemaCompiler
    static let maxDepth = 64

    func validate(_ value: JSONValue, _ schema: JSONValue, depth: Int = 0) throws -> Bool {
        guard depth < Self.maxDepth else { throw GrammarError.unsupported("validation nested too deeply") }
        switch schema {
        case .bool(let flag): return flag
        case .object(let members):
            for member in members where try !keyword(member.key, member.value, value, schema, depth) { return false }
            return true
        default: throw GrammarError.unsupported("schema of type \(schema.schemaType)")
        }
    }

    private func all(_ schemas: JSONValue, _ value: JSONValue, _ depth: Int) throws -> [Bool] {
        try (schemas.arrayValue ?? []).map { try validate(value, $0, depth: depth + 1) }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func keyword(_ key: String, _ argument: JSONValue, _ value: JSONValue, _ schema: JSONValue, _ depth: Int)
        throws -> Bool
    {
        switch key {
        case "type":
            let types = try compiler.allowedTypes(.object([.init(key: "type", value: argument)]))
            let type = value.schemaType
            return types.contains(type) || (type == "integer" && types.contains("number"))
        case "enum": return (argument.arrayValue ?? []).contains { JSONEquality.equal($0, value) }
        case "const": return JSONEquality.equal(argument, value)
        case "$ref":
            guard case .string(let path) = argument else { throw GrammarError.unsupported("non-string $ref") }
            return try validate(value, try compiler.resolve(path), depth: depth + 1)
        case "allOf": return try all(argument, value, depth).allSatisfy { $0 }
        case "anyOf": return try all(argument, value, depth).contains(true)
        case "oneOf": return try all(argument, value, depth).filter { $0 }.count == 1
        case "not": return try !validate(value, argument, depth: depth + 1)
        case "if":
            let branch = try validate(value, argument, depth: depth + 1) ? schema["then"] : schema["else"]
            return try branch.map { try validate(value, $0, depth: depth + 1) } ?? true
        case "$dynamicRef", "$recursiveRef": throw GrammarError.unsupported(key)
        default: break
        }
        switch value {
        case .string(let text): return try string(key, argument, text)
        case .number(let text): return try number(key, argument, text, schema)
        case .array(let items): return try array(key, argument, items, schema, depth)
        case .object(let members): return try object(key, argument, members, schema, depth)
        default: return true
        }
    }

    private func string(_ key: String, _ argument: JSONValue, _ text: String) throws -> Bool {
        let length = Double(text.unicodeScalars.count)
        switch key {
        case "minLength": return length >= (argument.numberValue ?? 0)
        case "maxLength": return length <= (argument.numberValue ?? .infinity)
        case "pattern":
            guard case .string(let pattern) = argument else { throw GrammarError.unsupported("non-string pattern") }
            return try RegexMatcher(pattern, search: true).matches(text)
        case "format":
            guard case .string(let name) = argument else { return true }
            if let regex = JSONSchemaCompiler.formats[name] {
                return try RegexMatcher(regex, search: false).matches(text)
            }
            if JSONSchemaCompiler.checkedFormats.contains(name) { throw GrammarError.unsupported("format \(name)") }
            return true
        default: return true
        }
    }

    private func number(_ key: String, _ argument: JSONValue, _ text: String, _ schema: JSONValue) throws -> Bool {
        guard let number = Double(text) else { return false }
        switch key {
        case "minimum": return argument.numberValue.map { number >= $0 } ?? true
        case "maximum": return argument.numberValue.map { number <= $0 } ?? true
        case "exclusiveMinimum":
            // Draft 4's boolean form: the bound itself is excluded.
            if argument == .bool(true) { return schema["minimum"]?.numberValue.map { number > $0 } ?? true }
            return argument.numberValue.map { number > $0 } ?? true
        case "exclusiveMaximum":
            if argument == .bool(true) { return schema["maximum"]?.numberValue.map { number < $0 } ?? true }
            return argument.numberValue.map { number < $0 } ?? true
        case "multipleOf":
            guard let divisor = argument.numberValue, divisor > 0 else { return true }
            let quotient = number / divisor
            return IntegralDouble.isIntegral(quotient)
        default: return true
        }
    }

    private func array(_ key: String, _ argument: JSONValue, _ items: [JSONValue], _ schema: JSONValue, _ depth: Int)
        throws -> Bool
    {
        switch key {
        case "minItems": return Double(items.count) >= (argument.numberValue ?? 0)
        case "maxItems": return Double(items.count) <= (argument.numberValue ?? .infinity)
        case "uniqueItems":
            guard argument == .bool(true) else { return true }
            for i in items.indices {
                for j in items.indices where j > i && JSONEquality.equal(items[i], items[j]) { return false }
            }
            return true
        case "prefixItems":
            for (item, itemSchema) in zip(items, argument.arrayValue ?? [])
            where try !validate(item, itemSchema, depth: depth + 1) {
                return false
            }
            return true
        case "items":
            if let tuple = argument.arrayValue {
                for (item, itemSchema) in zip(items, tuple) where try !validate(item, itemSchema, depth: depth + 1) {
                    return false
                }
                return true
            }
            let skip = schema["prefixItems"]?.arrayValue?.count ?? 0
            return try items.dropFirst(skip).allSatisfy { try validate($0, argument, depth: depth + 1) }
        case "additionalItems":
            guard let tuple = schema["items"]?.arrayValue else { return true }
            return try items.dropFirst(tuple.count).allSatisfy { try validate($0, argument, depth: depth + 1) }
        case "contains":
            let count = try items.filter { try validate($0, argument, depth: depth + 1) }.count
            let low = schema["minContains"]?.numberValue ?? 1
            let high = schema["maxContains"]?.numberValue ?? .infinity
            return Double(count) >= low && Double(count) <= high
        case "unevaluatedItems": throw GrammarError.unsupported("unevaluatedItems with enum")
        default: return true
        }
    }

    private func object(
        _ key: String, _ argument: JSONValue, _ members: [JSONValue.Member], _ schema: JSONValue, _ depth: Int
    ) throws -> Bool {
        switch key {
        case "required":
            let names = Set(members.map(\.key))
            return (argument.arrayValue ?? []).allSatisfy { $0.stringValue.map(names.contains) ?? true }
        case "minProperties": return Double(members.count) >= (argument.numberValue ?? 0)
        case "maxProperties": return Double(members.count) <= (argument.numberValue ?? .infinity)
        case "properties":
            for member in members {
                if let propertySchema = argument[member.key],
                    try !validate(member.value, propertySchema, depth: depth + 1)
                {
                    return false
                }
            }
            return true
        case "patternProperties":
            for member in members {
                for pattern in argument.objectMembers ?? []
                where try RegexMatcher(pattern.key, search: true).matches(member.key) {
                    if try !validate(member.value, pattern.value, depth: depth + 1) { return false }
                }
            }
            return true
        case "additionalProperties":
            let defined = Set((schema["properties"]?.objectMembers ?? []).map(\.key))
            let patterns = try (schema["patternProperties"]?.objectMembers ?? []).map {
                try RegexMatcher($0.key, search: true)
            }
            for member in members
            where !defined.contains(member.key) && !patterns.contains(where: { $0.matches(member.key) }) {
                if try !validate(member.value, argument, depth: depth + 1) { return false }
            }
            return true
        case "propertyNames":
            return try members.allSatisfy { try validate(.string($0.key), argument, depth: depth + 1) }
        case "dependencies", "dependentRequired", "dependentSchemas":
            let names = Set(members.map(\.key))
            for dependency in argument.objectMembers ?? [] where names.contains(dependency.key) {
                if let required = dependency.value.arrayValue {
                    if !required.allSatisfy({ $0.stringValue.map(names.contains) ?? true }) { return false }
                } else if try !validate(.object(members), dependency.value, depth: depth + 1) {
                    return false
                }
            }
            return true
        case "unevaluatedProperties": throw GrammarError.unsupported("unevaluatedProperties with enum")
        default: return true
        }
    }
}

/// JSON Schema equality: numbers by value, objects regardless of member order.
enum JSONEquality {
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y || Double(x) == Double(y)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            return x.allSatisfy { member in y.contains { $0.key == member.key && equal($0.value, member.value) } }
        default: return a == b
        }
    }
}
