extension JSONSchemaCompiler {
    /// Replaces a top-level `$ref` by its target merged with the siblings (for `allOf` and alternatives).
    func resolveDeep(_ schema: JSONValue, depth: Int) throws -> JSONValue {
        guard case .object(var members) = schema, let ref = schema["$ref"] else { return schema }
        guard depth < Self.maxMergeDepth else { throw GrammarError.unsupported("recursive $ref inside allOf/anyOf") }
        guard case .string(let path) = ref else { throw GrammarError.unsupported("non-string $ref") }
        members.removeAll { $0.key == "$ref" }
        let target = try resolveDeep(try resolve(path), depth: depth + 1)
        return try merge(.object(members), target, depth: depth + 1)
    }

    /// The schema that both `a` and `b` describe (allOf of two), or `unsupported` where they cannot be combined
    /// exactly.
    func merge(_ a: JSONValue, _ b: JSONValue, depth: Int) throws -> JSONValue {
        guard depth < Self.maxMergeDepth else { throw GrammarError.unsupported("allOf nested too deeply") }
        if a == .bool(true) || a == .object([]) { return try resolveDeep(b, depth: depth) }
        if b == .bool(true) || b == .object([]) { return try resolveDeep(a, depth: depth) }
        if a == .bool(false) || b == .bool(false) { return .bool(false) }
        let left = try resolveDeep(a, depth: depth)
        let right = try resolveDeep(b, depth: depth)
        guard case .object(var members) = left, case .object(let others) = right else {
            throw GrammarError.unsupported("allOf of non-object schemas")
        }
        // Nested allOf in either side is merged first.
        for (side, nested) in [(0, left["allOf"]), (1, right["allOf"])] {
            if nested != nil {
                var base = side == 0 ? left : right
                if case .object(var baseMembers) = base {
                    baseMembers.removeAll { $0.key == "allOf" }
                    base = .object(baseMembers)
                }
                var parts = JSONValue.object([])
                for part in nested?.arrayValue ?? [] { parts = try merge(parts, part, depth: depth + 1) }
                base = try merge(parts, base, depth: depth + 1)
                return side == 0 ? try merge(base, right, depth: depth + 1) : try merge(left, base, depth: depth + 1)
            }
        }
        if let x = left["const"], let y = right["const"], x != y { return .bool(false) }
        if right["properties"] != nil || left["properties"] != nil || right["additionalProperties"] != nil
            || left["additionalProperties"] != nil
        {
            try mergeProperties(left, right, into: &members, depth: depth)
        }
        for member in others {
            let key = member.key
            guard let existing = members.first(where: { $0.key == key })?.value else {
                if !["properties", "additionalProperties"].contains(key) { members.append(member) }
                continue
            }
            if ["properties", "additionalProperties"].contains(key) { continue }
            let combined = try mergeKeyword(key, existing, member.value, depth: depth)
            members.removeAll { $0.key == key }
            members.append(.init(key: key, value: combined))
        }
        return .object(members)
    }

    private func mergeKeyword(_ key: String, _ a: JSONValue, _ b: JSONValue, depth: Int) throws -> JSONValue {
        if a == b { return a }
        switch key {
        case "type":
            let left = Set(try allowedTypes(.object([.init(key: "type", value: a)])))
            let right = Set(try allowedTypes(.object([.init(key: "type", value: b)])))
            var both = Self.allTypes.filter { $0 != "number" && left.contains($0) && right.contains($0) }
            let numeric: Set<String> = ["number", "integer"]
            if left.contains("number") && right.contains("number") {
                both.append("number")
            } else if !left.isDisjoint(with: numeric) && !right.isDisjoint(with: numeric) {
                both.append("integer")
            }
            return .array(both.map { .string($0) })
        case "required":
            var names = a.arrayValue ?? []
            for name in b.arrayValue ?? [] where !names.contains(name) { names.append(name) }
            return .array(names)
        case "minimum", "minLength", "minItems", "minProperties":
            guard let x = a.numberValue, let y = b.numberValue else { break }
            return x >= y ? a : b
        case "maximum", "maxLength", "maxItems", "maxProperties":
            guard let x = a.numberValue, let y = b.numberValue else { break }
            return x <= y ? a : b
        case "exclusiveMinimum":
            guard let x = a.numberValue, let y = b.numberValue else { break }
            return x >= y ? a : b
        case "exclusiveMaximum":
            guard let x = a.numberValue, let y = b.numberValue else { break }
            return x <= y ? a : b
        case "enum":
            let right = b.arrayValue ?? []
            return .array((a.arrayValue ?? []).filter { right.contains($0) })
        case "items", "additionalItems", "not", "propertyNames", "contains", "unevaluatedProperties":
            if key == "not" {
                return .object([.init(key: "anyOf", value: .array([a, b]))])
            }
            if a.arrayValue != nil || b.arrayValue != nil { break }
            return try merge(a, b, depth: depth + 1)
        case "anyOf", "oneOf":
            guard let x = a.arrayValue, let y = b.arrayValue, x.count * y.count <= 64 else { break }
            if key == "oneOf" { break }
            return .array(try x.flatMap { left in try y.map { try merge(left, $0, depth: depth + 1) } })
        case "uniqueItems":
            return .bool(a == .bool(true) || b == .bool(true))
        default:
            break
        }
        if JSONSchemaKeywords.constraining.contains(key) {
            throw GrammarError.unsupported("allOf with two different \"\(key)\"")
        }
        return a
    }

    /// Properties of both sides: a name defined on one side only must also satisfy the other's
    /// `additionalProperties`.
    private func mergeProperties(
        _ left: JSONValue, _ right: JSONValue, into members: inout [JSONValue.Member], depth: Int
    ) throws {
        if left["patternProperties"] != nil || right["patternProperties"] != nil {
            throw GrammarError.unsupported("allOf with patternProperties")
        }
        let leftProperties = left["properties"]?.objectMembers ?? []
        let rightProperties = right["properties"]?.objectMembers ?? []
        let leftExtra = left["additionalProperties"] ?? .bool(true)
        let rightExtra = right["additionalProperties"] ?? .bool(true)
        var names = leftProperties.map(\.key)
        for member in rightProperties where !names.contains(member.key) { names.append(member.key) }
        var merged: [JSONValue.Member] = []
        for name in names {
            let x = leftProperties.first { $0.key == name }?.value ?? leftExtra
            let y = rightProperties.first { $0.key == name }?.value ?? rightExtra
            merged.append(.init(key: name, value: try mergeLazily(x, y, depth: depth)))
        }
        members.removeAll { $0.key == "properties" || $0.key == "additionalProperties" }
        members.append(.init(key: "properties", value: .object(merged)))
        let extra = try mergeLazily(leftExtra, rightExtra, depth: depth)
        if extra != .bool(true) { members.append(.init(key: "additionalProperties", value: extra)) }
    }

    /// Merges subschemas without resolving references yet (`allOf` keeps recursion behind rules).
    private func mergeLazily(_ a: JSONValue, _ b: JSONValue, depth: Int) throws -> JSONValue {
        if a == b || b == .bool(true) || b == .object([]) { return a }
        if a == .bool(true) || a == .object([]) { return b }
        if a == .bool(false) || b == .bool(false) { return .bool(false) }
        return .object([.init(key: "allOf", value: .array([a, b]))])
    }
}
