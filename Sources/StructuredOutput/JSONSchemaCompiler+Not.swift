extension JSONSchemaCompiler {
    /// `not`: supported when the negated schema only restricts types (or is `true`/`false`/`{}`); the instance's type
    /// must then be one the negated schema rejects.
    mutating func negation(of negated: JSONValue, within base: JSONValue) throws -> GrammarExpr {
        let resolved = try resolveDeep(negated, depth: 1)
        if resolved == .bool(false) { return try value(base) }
        let keys = JSONSchemaKeywords.constrainingKeys(resolved.objectMembers ?? [])
        if resolved == .bool(true) || keys.isEmpty { return .nothing }
        guard keys == ["type"] else { throw GrammarError.unsupported("not with \(keys.joined(separator: ", "))") }
        let excluded = Set(try allowedTypes(resolved))
        var allowed = try allowedTypes(base)
        if excluded.contains("integer") && allowed.contains("number") {
            throw GrammarError.unsupported("not integer within number")
        }
        allowed.removeAll { excluded.contains($0) || ($0 == "integer" && excluded.contains("number")) }
        guard case .object(var members) = base else { return .nothing }
        members.removeAll { $0.key == "type" }
        members.append(.init(key: "type", value: .array(allowed.map { .string($0) })))
        return try value(.object(members))
    }
}
