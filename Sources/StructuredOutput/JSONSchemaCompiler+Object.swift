extension JSONSchemaCompiler {
    /// `type: object`: the defined properties in definition order (required ones present, optional ones may be
    /// skipped), then additional properties whose names differ from every defined one.
    mutating func object(_ schema: JSONValue) throws -> GrammarExpr {
        for keyword in ["propertyNames", "dependencies", "dependentRequired", "dependentSchemas"]
        where schema[keyword] != nil {
            throw GrammarError.unsupported(keyword)
        }
        if let patterns = schema["patternProperties"]?.objectMembers, !patterns.isEmpty {
            throw GrammarError.unsupported("patternProperties")
        }
        var properties = schema["properties"]?.objectMembers ?? []
        var additional = schema["additionalProperties"] ?? .bool(true)
        if schema["unevaluatedProperties"] == .bool(false) { additional = .bool(false) }
        else if let unevaluated = schema["unevaluatedProperties"], unevaluated != .bool(true) {
            throw GrammarError.unsupported("unevaluatedProperties with a schema")
        }
        let required = (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue)
        for name in required where !properties.contains(where: { $0.key == name }) {
            properties.append(.init(key: name, value: additional))
        }
        let minProperties = try count(schema, "minProperties") ?? 0
        let maxProperties = try count(schema, "maxProperties")
        let possible = additional == .bool(false) ? properties.count : Int.max
        if minProperties > required.count || (maxProperties.map { $0 < possible } ?? false) {
            throw GrammarError.unsupported("minProperties/maxProperties beyond the required/defined properties")
        }

        var members: [(expr: GrammarExpr, required: Bool)] = []
        for property in properties {
            let valueExpr = try value(property.value)
            let isRequired = required.contains(property.key)
            if valueExpr == .nothing {
                if isRequired { return .nothing }
                continue
            }
            members.append((.concat([.literal(JSONValue.quoted(property.key)), JSONGrammar.colon, valueExpr]), isRequired))
        }
        var extra: GrammarExpr?
        if additional != .bool(false) {
            let valueExpr = try value(additional)
            if valueExpr != .nothing {
                extra = .concat([Self.keyExcluding(properties.map(\.key)), JSONGrammar.colon, valueExpr])
            }
        }
        return .concat([
            .literal("{"), JSONGrammar.whitespace, Self.memberList(members, extra: extra), JSONGrammar.whitespace,
            .literal("}"),
        ])
    }

    /// Members in order, separated by commas, each optional one skippable, then any number of `extra` members.
    ///
    /// `rest(i)` (members i… after at least one member was written) is shared between the two places that reach it,
    /// keeping the automaton linear in the number of properties.
    static func memberList(_ members: [(expr: GrammarExpr, required: Bool)], extra: GrammarExpr?) -> GrammarExpr {
        let n = members.count
        // Tails: rest(i) for i in 0...n, with the separator before each member.
        var tails: [GrammarExpr] = []
        for i in 0...n {
            if i == n {
                tails.append(extra.map { .star(.concat([JSONGrammar.separator, $0])) } ?? .empty)
                continue
            }
            let withMember = GrammarExpr.concat([JSONGrammar.separator, members[i].expr, .sharedTail(i + 1)])
            tails.append(members[i].required ? withMember : .oneOf([withMember, .sharedTail(i + 1)]))
        }
        // first(i): members i… when nothing was written yet.
        var first: GrammarExpr = extra.map { .optional(.concat([$0, .sharedTail(n)])) } ?? .empty
        for i in stride(from: n - 1, through: 0, by: -1) {
            let withMember = GrammarExpr.concat([members[i].expr, .sharedTail(i + 1)])
            first = members[i].required ? withMember : .oneOf([withMember, first])
        }
        return .sharedScope(tails: tails, body: first)
    }

    /// A JSON string (without escapes) that is none of `names`: the complement of their trie.
    ///
    /// Every branch ends with the same closing quote, so the "any other character, then anything" continuations
    /// share one fragment (`sharedTail(0)`; `sharedTail(1)` for a non-ASCII first character).
    static func keyExcluding(_ names: [String]) -> GrammarExpr {
        guard !names.isEmpty else { return JSONGrammar.anyString }
        let plain = CodepointSet(ranges: [0...0x1F, 0x22...0x22, 0x5C...0x5C]).inverted()
        let asciiPlain = plain.intersection(CodepointSet(ranges: [0...0x7F]))
        let closing = GrammarExpr.literal("\"")
        let tails: [GrammarExpr] = [
            .concat([.star(plain.utf8Expr()), closing]),
            .concat([plain.subtracting(asciiPlain).utf8Expr(), .sharedTail(0)]),
        ]
        func excluding(_ suffixes: [[Unicode.Scalar]]) -> GrammarExpr {
            var alternatives: [GrammarExpr] = []
            if !suffixes.contains(where: \.isEmpty) { alternatives.append(closing) }
            var children: [UInt32: [[Unicode.Scalar]]] = [:]
            for suffix in suffixes where !suffix.isEmpty {
                children[suffix[0].value, default: []].append(Array(suffix.dropFirst()))
            }
            var otherASCII = asciiPlain
            var nonASCIIChildren = false
            for (scalar, rest) in children.sorted(by: { $0.key < $1.key }) where plain.contains(scalar) {
                if scalar < 0x80 { otherASCII = otherASCII.subtracting(CodepointSet(scalar: scalar)) }
                else { nonASCIIChildren = true }
                alternatives.append(.concat([CodepointSet(scalar: scalar).utf8Expr(), excluding(rest)]))
            }
            alternatives.append(.concat([otherASCII.utf8Expr(), .sharedTail(0)]))
            if nonASCIIChildren {
                var others = plain.subtracting(asciiPlain)
                for scalar in children.keys where scalar >= 0x80 { others = others.subtracting(CodepointSet(scalar: scalar)) }
                alternatives.append(.concat([others.utf8Expr(), .sharedTail(0)]))
            } else {
                alternatives.append(.sharedTail(1))
            }
            return .oneOf(alternatives)
        }
        let body = excluding(names.map { Array($0.unicodeScalars) })
        return .sharedScope(tails: tails, body: .concat([closing, body]))
    }
}
