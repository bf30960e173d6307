extension JSONSchemaCompiler {
    static let allTypes = ["null", "boolean", "object", "array", "string", "number"]

    /// The grammar for instances of `schema`.
    mutating func value(_ schema: JSONValue) throws -> GrammarExpr {
        switch schema {
        case .bool(true): return anyValue()
        case .bool(false): return .nothing
        case .object: break
        default: throw GrammarError.unsupported("schema of type \(schema.schemaType)")
        }
        let keys = JSONSchemaKeywords.constrainingKeys(schema.objectMembers!)
        if keys.isEmpty { return anyValue() }
        if let ref = schema["$ref"], keys == ["$ref"] {
            guard case .string(let path) = ref else { throw GrammarError.unsupported("non-string $ref") }
            return try refRule(path)
        }
        if keys.contains(where: { ["$ref", "allOf", "anyOf", "oneOf"].contains($0) }) {
            // Merging inlines references; a rule per distinct schema text makes recursion through merges terminate.
            return try deferredRule(schema)
        }
        return try valueBody(schema)
    }

    /// `value` without the deferral: combinators are merged and compiled here.
    mutating func valueBody(_ schema: JSONValue) throws -> GrammarExpr {
        // Listed values are checked against everything else the schema says, combinators included.
        if schema["enum"] != nil || schema["const"] != nil { return try enumeration(schema) }
        var members = schema.objectMembers!
        if let ref = schema["$ref"] {
            guard case .string(let path) = ref else { throw GrammarError.unsupported("non-string $ref") }
            members.removeAll { $0.key == "$ref" }
            return try value(try merge(.object(members), try resolveDeep(try resolve(path), depth: 1), depth: 1))
        }
        if let allOf = schema["allOf"] {
            guard case .array(let parts) = allOf else { throw GrammarError.unsupported("allOf that is not an array") }
            members.removeAll { $0.key == "allOf" }
            // The parts first, then the siblings: their properties come first in the generated order.
            var merged = JSONValue.object([])
            for part in parts { merged = try merge(merged, try resolveDeep(part, depth: 1), depth: 1) }
            return try value(try merge(merged, .object(members), depth: 1))
        }
        if let expanded = try dependencyAlternatives(schema) { return .oneOf(try expanded.map { try value($0) }) }
        for keyword in ["anyOf", "oneOf"] {
            guard let alternatives = schema[keyword] else { continue }
            guard case .array(let parts) = alternatives, !parts.isEmpty else {
                throw GrammarError.unsupported("\(keyword) that is not a non-empty array")
            }
            members.removeAll { $0.key == keyword }
            let base = JSONValue.object(members)
            // Properties only the alternative defines come first, then the shared ones in the base's order.
            let merged = try parts.map { part -> JSONValue in
                let alternative = try resolveDeep(part, depth: 1)
                return Self.orderingProperties(try merge(alternative, base, depth: 1), after: alternative, base)
            }
            if keyword == "oneOf" {
                if let exact = try oneOfByAbsence(merged) { return .oneOf(try exact.map { try value($0) }) }
                try requireDisjoint(merged)
            }
            return .oneOf(try merged.map { try value($0) })
        }
        if let not = schema["not"] {
            members.removeAll { $0.key == "not" }
            return try negation(of: not, within: .object(members))
        }
        for keyword in ["if", "then", "else"] where schema[keyword] != nil {
            if keyword == "if" && (schema["then"] != nil || schema["else"] != nil) {
                throw GrammarError.unsupported("if/then/else")
            }
            members.removeAll { $0.key == keyword }
            return try value(.object(members))
        }
        for keyword in ["$dynamicRef", "$recursiveRef"] where schema[keyword] != nil {
            throw GrammarError.unsupported(keyword)
        }
        if schema["enum"] != nil || schema["const"] != nil { return try enumeration(schema) }
        return .oneOf(try allowedTypes(schema).map { try typed($0, schema) })
    }

    /// `merged` with its properties reordered: those `alternative` defines and `base` does not, then `base`'s.
    static func orderingProperties(_ merged: JSONValue, after alternative: JSONValue, _ base: JSONValue) -> JSONValue {
        guard case .object(var members) = merged, let index = members.firstIndex(where: { $0.key == "properties" }),
            let properties = members[index].value.objectMembers
        else { return merged }
        let baseNames = (base["properties"]?.objectMembers ?? []).map(\.key)
        let own = properties.filter { !baseNames.contains($0.key) }
        let shared = baseNames.compactMap { name in properties.first { $0.key == name } }
        members[index].value = .object(own + shared)
        return .object(members)
    }

    /// The types `type` allows ("integer" only when "number" is not also allowed).
    func allowedTypes(_ schema: JSONValue) throws -> [String] {
        var types: [String]
        switch schema["type"] {
        case nil: types = Self.allTypes
        case .string(let name): types = [name]
        case .array(let names):
            types = try names.map {
                guard case .string(let name) = $0 else { throw GrammarError.unsupported("non-string type") }
                return name
            }
        default: throw GrammarError.unsupported("type of kind \(schema["type"]!.schemaType)")
        }
        for name in types where !(Self.allTypes + ["integer"]).contains(name) {
            throw GrammarError.unsupported("type \"\(name)\"")
        }
        if types.contains("number") { types.removeAll { $0 == "integer" } }
        var seen = Set<String>()
        return types.filter { seen.insert($0).inserted }
    }

    private mutating func typed(_ type: String, _ schema: JSONValue) throws -> GrammarExpr {
        switch type {
        case "null": return .literal("null")
        case "boolean": return .oneOf([.literal("true"), .literal("false")])
        case "string": return try string(schema)
        case "integer": return try integer(schema)
        case "number": return try number(schema)
        case "object": return try object(schema)
        case "array": return try array(schema)
        default: throw GrammarError.unsupported("type \"\(type)\"")
        }
    }

    /// `enum`/`const`: exactly the listed values (as Python writes them), filtered by the sibling keywords.
    private mutating func enumeration(_ schema: JSONValue) throws -> GrammarExpr {
        var values: [JSONValue]
        if let constant = schema["const"] {
            values = [constant]
            if let listed = schema["enum"]?.arrayValue { values = values.filter { listed.contains($0) } }
        } else {
            guard let listed = schema["enum"]?.arrayValue else {
                throw GrammarError.unsupported("enum that is not an array")
            }
            values = listed
        }
        var kept: [JSONValue] = []
        let validator = SchemaValidator(compiler: self)
        // Every value is the constant or listed, so only the other keywords need checking (checking `enum` again
        // made long lists quadratic: 4,000 region codes took 0.8 s).
        let others = JSONValue.object((schema.objectMembers ?? []).filter { $0.key != "enum" && $0.key != "const" })
        for value in values where try validator.validate(value, others) {
            kept.append(value)
        }
        return .oneOf(kept.map { valueText($0) })
    }

    /// A value's JSON text with flexible whitespace; an integral float also as the integer (`1.0` and `1`).
    func valueText(_ value: JSONValue) -> GrammarExpr {
        switch value {
        case .number(let text):
            let canonical = JSONValue.canonicalNumber(text)
            var forms = [canonical]
            if let double = Double(text), abs(double) < 1e15, IntegralDouble.isIntegral(double) {
                let integral = String(Int64(double))
                forms = [integral, integral + ".0"]
                if canonical != integral && canonical != integral + ".0" { forms.append(canonical) }
            }
            return .oneOf(forms.map { .literal($0) })
        case .array(let items):
            guard !items.isEmpty else { return .concat([.literal("["), layout.whitespace, .literal("]")]) }
            var parts: [GrammarExpr] = [.literal("["), layout.whitespace]
            for (index, item) in items.enumerated() {
                if index > 0 { parts.append(layout.separator) }
                parts.append(valueText(item))
            }
            return .concat(parts + [layout.whitespace, .literal("]")])
        case .object(let members):
            guard !members.isEmpty else { return .concat([.literal("{"), layout.whitespace, .literal("}")]) }
            var parts: [GrammarExpr] = [.literal("{"), layout.whitespace]
            for (index, member) in members.enumerated() {
                if index > 0 { parts.append(layout.separator) }
                parts += [.literal(JSONValue.quoted(member.key)), layout.colon, valueText(member.value)]
            }
            return .concat(parts + [layout.whitespace, .literal("}")])
        default:
            return .literal(value.canonicalText)
        }
    }
}
