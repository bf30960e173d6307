extension JSONSchemaCompiler {
    /// `oneOf` is compiled as `anyOf`, which is exact only if no instance matches two alternatives; this proves that
    /// pairwise from value-level facts (types, constants, discriminating properties) or refuses the schema.
    func requireDisjoint(_ alternatives: [JSONValue]) throws {
        for i in alternatives.indices {
            for j in alternatives.indices where j > i {
                guard try disjoint(alternatives[i], alternatives[j]) else {
                    throw GrammarError.unsupported("oneOf with alternatives \(i) and \(j) that may overlap")
                }
            }
        }
    }

    /// `oneOf` made exact (or sound) through absent names: alternative i must hold and every overlapping
    /// alternative j must fail, which is ensured by leaving out one of j's required names that i does not require.
    /// That is exact when j only adds `required` names, and sound (it may reject some valid instances) otherwise.
    /// Each way of choosing the absent names is one `anyOf` alternative (up to `maxRequiredCombinations` per
    /// alternative). Nil if some overlapping j requires nothing beyond i's names.
    func oneOfByAbsence(_ merged: [JSONValue]) throws -> [JSONValue]? {
        let required = merged.map { ($0["required"]?.arrayValue ?? []).compactMap(\.stringValue) }
        var result: [JSONValue] = []
        for (i, own) in required.enumerated() {
            var combinations: [[String]] = [[]]
            for (j, other) in required.enumerated() where j != i {
                if try disjoint(merged[i], merged[j]) { continue }
                let candidates = other.filter { !own.contains($0) }
                if candidates.isEmpty { return nil }
                combinations = combinations.flatMap { chosen in candidates.map { chosen + [$0] } }
                guard combinations.count <= Self.maxRequiredCombinations else { return nil }
            }
            for absent in combinations {
                let forbidden = Array(Set(absent)).sorted().map { JSONValue.Member(key: $0, value: .bool(false)) }
                result.append(try merge(merged[i], .object([.init(key: "properties", value: .object(forbidden))]), depth: 1))
            }
        }
        return result
    }

    static let maxRequiredCombinations = 16

    /// `dependencies`/`dependentRequired`/`dependentSchemas` as alternatives: for each trigger name, either it is
    /// absent, or it is present with what it requires (names, or a schema). Exact; up to 4 triggers (16 cases).
    func dependencyAlternatives(_ schema: JSONValue) throws -> [JSONValue]? {
        let keywords = ["dependencies", "dependentRequired", "dependentSchemas"]
        guard case .object(var members) = schema, keywords.contains(where: { schema[$0] != nil }) else { return nil }
        var triggers: [(name: String, then: JSONValue)] = []
        for keyword in keywords {
            for dependency in schema[keyword]?.objectMembers ?? [] {
                if let names = dependency.value.arrayValue {
                    let required = [JSONValue.string(dependency.key)] + names
                    triggers.append((dependency.key, .object([.init(key: "required", value: .array(required))])))
                } else {
                    let required = JSONValue.object([.init(key: "required", value: .array([.string(dependency.key)]))])
                    triggers.append((dependency.key, try merge(required, dependency.value, depth: 1)))
                }
            }
        }
        guard triggers.count <= 4 else { throw GrammarError.unsupported("more than 4 dependencies") }
        members.removeAll { keywords.contains($0.key) }
        var alternatives = [JSONValue.object(members)]
        for trigger in triggers {
            let absent = JSONValue.object([
                .init(key: "properties", value: .object([.init(key: trigger.name, value: .bool(false))]))
            ])
            alternatives = try alternatives.flatMap { base in
                [try merge(base, absent, depth: 1), try merge(base, trigger.then, depth: 1)]
            }
        }
        return alternatives
    }

    func disjoint(_ a: JSONValue, _ b: JSONValue) throws -> Bool {
        if a == .bool(false) || b == .bool(false) { return true }
        let left = try resolveDeep(a, depth: 1)
        let right = try resolveDeep(b, depth: 1)
        let leftTypes = try possibleTypes(left)
        let rightTypes = try possibleTypes(right)
        if leftTypes.isDisjoint(with: rightTypes) { return true }
        if let x = try constants(left), let y = try constants(right) {
            let yTexts = Set(y.map(\.canonicalText))
            if x.allSatisfy({ !yTexts.contains($0.canonicalText) }) { return true }
        }
        // Objects only from here: a discriminating property or a required property the other forbids.
        guard leftTypes.isSubset(of: ["object"]) || rightTypes.isSubset(of: ["object"]) else { return false }
        return try objectsDisjoint(left, right) || objectsDisjoint(right, left)
    }

    /// An object instance of both would have a property `a` requires; it is disjoint if `b` forbids that property
    /// or the two schemas for it share no value.
    private func objectsDisjoint(_ a: JSONValue, _ b: JSONValue) throws -> Bool {
        let aProperties = a["properties"]?.objectMembers ?? []
        let bProperties = b["properties"]?.objectMembers ?? []
        for name in (a["required"]?.arrayValue ?? []).compactMap(\.stringValue) {
            let aSchema = aProperties.first { $0.key == name }?.value ?? a["additionalProperties"] ?? .bool(true)
            var bSchema = bProperties.first { $0.key == name }?.value
            if bSchema == nil && b["patternProperties"] == nil { bSchema = b["additionalProperties"] ?? .bool(true) }
            guard let bSchema else { continue }
            if try disjoint(aSchema, bSchema) { return true }
        }
        return false
    }

    /// The JSON types an instance can have ("integer" stands for integral numbers, "number" for all).
    func possibleTypes(_ schema: JSONValue) throws -> Set<String> {
        if schema == .bool(false) { return [] }
        if let values = try constants(schema) {
            return Set(values.map { $0.schemaType == "integer" ? "number" : $0.schemaType })
        }
        guard schema["type"] != nil else { return Set(Self.allTypes) }
        return Set(try allowedTypes(schema).map { $0 == "integer" ? "number" : $0 })
    }

    /// The `const`/`enum` values, if the schema lists them.
    func constants(_ schema: JSONValue) throws -> [JSONValue]? {
        if let constant = schema["const"] { return [constant] }
        return schema["enum"]?.arrayValue
    }
}
