extension JSONSchemaCompiler {
    /// `type: object`: the defined properties in definition order (required ones present, optional ones may be
    /// skipped), then additional properties whose names differ from every defined one.
    mutating func object(_ schema: JSONValue) throws -> GrammarExpr {
        for keyword in ["propertyNames"] where schema[keyword] != nil {
            throw GrammarError.unsupported(keyword)
        }
        let patterns = schema["patternProperties"]?.objectMembers ?? []
        var properties = schema["properties"]?.objectMembers ?? []
        var additional = schema["additionalProperties"] ?? .bool(true)
        if schema["unevaluatedProperties"] == .bool(false) {
            additional = .bool(false)
        } else if let unevaluated = schema["unevaluatedProperties"], unevaluated != .bool(true) {
            throw GrammarError.unsupported("unevaluatedProperties with a schema")
        }
        let required = (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue)
        let matchers = try patterns.map { try RegexMatcher($0.key, search: true) }
        for name in required where !properties.contains(where: { $0.key == name }) {
            // A required name not defined here takes its patterns' schemas (merged below) or the additional one.
            let matched = matchers.contains { $0.matches(name) }
            properties.append(.init(key: name, value: matched ? .bool(true) : additional))
        }
        let minProperties = try count(schema, "minProperties") ?? 0
        let maxProperties = try count(schema, "maxProperties")
        let possible = additional == .bool(false) && patterns.isEmpty ? properties.count : Int.max
        let nonEmpty = minProperties == 1 && required.isEmpty
        if (minProperties > required.count && !nonEmpty) || (maxProperties.map { $0 < possible } ?? false) {
            throw GrammarError.unsupported("minProperties/maxProperties beyond the required/defined properties")
        }
        // A defined property that a pattern also matches must satisfy both schemas.
        for (index, property) in properties.enumerated() {
            let matching = zip(matchers, patterns).filter { $0.0.matches(property.key) }.map(\.1.value)
            if !matching.isEmpty {
                properties[index].value = .object([.init(key: "allOf", value: .array([property.value] + matching))])
            }
        }

        var members: [(expr: GrammarExpr, required: Bool)] = []
        for property in properties {
            let valueExpr = try value(property.value)
            let isRequired = required.contains(property.key)
            if valueExpr == .nothing {
                if isRequired { return .nothing }
                continue
            }
            members.append(
                (.concat([.literal(JSONValue.quoted(property.key)), layout.colon, valueExpr]), isRequired))
        }
        let names = properties.map(\.key)
        var extras: [GrammarExpr] = []
        if !patterns.isEmpty {
            extras = try patternMembers(patterns, matchers: matchers, names: names, additional: additional)
        } else if additional != .bool(false) {
            let valueExpr = try value(additional)
            if valueExpr != .nothing {
                extras.append(.concat([Self.keyExcluding(names), layout.colon, valueExpr]))
            }
        }
        let extra: GrammarExpr? = extras.isEmpty ? nil : .oneOf(extras)
        if nonEmpty && members.isEmpty && extra == nil { return .nothing }
        let list = Self.memberList(members, extra: extra, nonEmpty: nonEmpty, separator: layout.separator)
        return .concat([.literal("{"), layout.whitespace, list, layout.whitespace, .literal("}")])
    }

    /// Members whose names match `patternProperties`: each pattern's names (less the defined ones) with its schema.
    /// Exact when other names are not allowed (`additionalProperties: false`) or every pattern's schema equals the
    /// additional one, and when no name can match two patterns with different schemas.
    private mutating func patternMembers(
        _ patterns: [JSONValue.Member], matchers: [RegexMatcher], names: [String], additional: JSONValue
    ) throws -> [GrammarExpr] {
        func trivial(_ schema: JSONValue) -> Bool {
            schema == .bool(true)
                || JSONSchemaKeywords.constrainingKeys(schema.objectMembers ?? [.init(key: "type", value: .null)])
                    .isEmpty
        }
        let sameAsAdditional = patterns.allSatisfy {
            JSONEquality.equal($0.value, additional) || (trivial($0.value) && trivial(additional))
        }
        if sameAsAdditional {
            let valueExpr = try value(additional)
            return valueExpr == .nothing ? [] : [.concat([Self.keyExcluding(names), layout.colon, valueExpr])]
        }
        let keys = try patterns.map { pattern -> GrammarExpr in
            let body = try RegexPattern.compile(pattern.key, encoding: .jsonString, search: true)
            return .concat([.literal("\""), body, .literal("\"")])
        }
        for i in patterns.indices {
            for j in patterns.indices where j > i && !JSONEquality.equal(patterns[i].value, patterns[j].value) {
                if !(try ProductAutomaton.isEmpty([keys[i], keys[j]])) {
                    throw GrammarError.unsupported("patternProperties whose patterns overlap")
                }
            }
        }
        let universal = patterns.map { RegexPattern.matchesEverything($0.key) }
        var result: [GrammarExpr] = []
        for (index, pattern) in patterns.enumerated() {
            let valueExpr = try value(pattern.value)
            if valueExpr == .nothing { continue }
            let clashes = names.contains { matchers[index].matches($0) }
            var key = keys[index]
            if clashes {
                // A pattern matching everything (`.*`) needs no intersection: every name but the defined ones.
                key = universal[index] ? Self.keyExcluding(names) : .intersection([key, Self.keyExcluding(names)])
            }
            result.append(.concat([key, layout.colon, valueExpr]))
        }
        // Names no pattern matches (and not defined) take the additional schema.
        if additional != .bool(false) && !universal.contains(true) {
            let valueExpr = try value(additional)
            if valueExpr != .nothing {
                let key = GrammarExpr.intersection([Self.keyExcluding(names)] + keys.map { .excluding($0) })
                result.append(.concat([key, layout.colon, valueExpr]))
            }
        }
        return result
    }

    /// Members in order, separated by commas, each optional one skippable, then any number of `extra` members.
    ///
    /// Every member and the extra-member loop is built once, as a shared tail reached from the two places that
    /// continue with it (after a comma, or first), keeping the automaton linear in the number of properties.
    /// Tails: `rest(i)` (members i… after something was written) at index i for i in 0...n; `member(i)` (member i,
    /// then `rest(i+1)`) at n+1+i; `extras` (one extra member, then `rest(n)`) at 2n+1.
    static func memberList(
        _ members: [(expr: GrammarExpr, required: Bool)], extra: GrammarExpr?, nonEmpty: Bool = false,
        separator: GrammarExpr
    ) -> GrammarExpr {
        let n = members.count
        let memberTail = { (i: Int) in GrammarExpr.sharedTail(n + 1 + i) }
        let extrasTail = GrammarExpr.sharedTail(2 * n + 1)
        var tails: [GrammarExpr] = []
        for i in 0..<n {
            let withMember = GrammarExpr.concat([separator, memberTail(i)])
            tails.append(members[i].required ? withMember : .oneOf([withMember, .sharedTail(i + 1)]))
        }
        tails.append(extra == nil ? .empty : .optional(.concat([separator, extrasTail])))
        for i in 0..<n { tails.append(.concat([members[i].expr, .sharedTail(i + 1)])) }
        tails.append(extra.map { .concat([$0, .sharedTail(n)]) } ?? .nothing)
        // first(i): members i… when nothing was written yet. With `nonEmpty` (minProperties 1, nothing required)
        // skipping everything is not an option.
        let lastResort: GrammarExpr? = extra == nil ? nil : extrasTail
        var first: GrammarExpr = nonEmpty ? (lastResort ?? .nothing) : lastResort.map { .optional($0) } ?? .empty
        for i in stride(from: n - 1, through: 0, by: -1) {
            first = members[i].required ? memberTail(i) : .oneOf([memberTail(i), first])
        }
        return .sharedScope(tails: tails, body: first)
    }
}
