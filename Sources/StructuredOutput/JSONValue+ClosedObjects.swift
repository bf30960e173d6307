extension JSONValue {
    /// The schema with `additionalProperties: false` added to every schema object that has `properties` or
    /// `patternProperties` but no `additionalProperties` (vLLM's `disable_additional_properties`, which walks the
    /// document the same way). Unlike vLLM's walk, the maps of names (`properties`, `$defs`…) are not themselves
    /// taken for schemas, and `const`, `enum`, `default` and `examples` values are data, left alone.
    func closingObjectSchemas() -> JSONValue {
        switch self {
        case .array(let items):
            return .array(items.map { $0.closingObjectSchemas() })
        case .object(let members):
            var closed = members.map { member -> Member in
                if Self.dataKeywords.contains(member.key) { return member }
                if Self.schemaMapKeywords.contains(member.key), case .object(let entries) = member.value {
                    let schemas = entries.map { Member(key: $0.key, value: $0.value.closingObjectSchemas()) }
                    return Member(key: member.key, value: .object(schemas))
                }
                return Member(key: member.key, value: member.value.closingObjectSchemas())
            }
            if (self["properties"] != nil || self["patternProperties"] != nil) && self["additionalProperties"] == nil {
                closed.append(Member(key: "additionalProperties", value: .bool(false)))
            }
            return .object(closed)
        default:
            return self
        }
    }

    private static let dataKeywords: Set<String> = ["const", "enum", "default", "examples"]
    /// Keywords whose value maps names to schemas.
    private static let schemaMapKeywords: Set<String> = [
        "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies",
    ]
}
