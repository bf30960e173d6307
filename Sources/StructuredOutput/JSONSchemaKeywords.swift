/// Which JSON Schema keywords constrain, which this compiler implements, and which are annotations.
enum JSONSchemaKeywords {
    /// Keywords that never constrain an instance (or only hold subschemas reached through `$ref`).
    static let annotations: Set<String> = [
        "$schema", "$id", "id", "title", "description", "default", "examples", "$comment", "deprecated", "readOnly",
        "writeOnly", "definitions", "$defs", "contentMediaType", "contentEncoding", "contentSchema", "$anchor",
        "$dynamicAnchor", "$vocabulary", "discriminator", "nullable", "example", "xml", "externalDocs",
    ]

    static let string: Set<String> = ["minLength", "maxLength", "pattern", "format"]
    static let number: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]
    static let object: Set<String> = [
        "properties", "required", "additionalProperties", "patternProperties", "minProperties", "maxProperties",
        "propertyNames", "dependencies", "dependentRequired", "dependentSchemas", "unevaluatedProperties",
    ]
    static let array: Set<String> = [
        "items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains",
        "maxContains", "unevaluatedItems",
    ]
    static let applicators: Set<String> = [
        "$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "enum", "const", "type", "$dynamicRef",
        "$recursiveRef",
    ]

    /// Every keyword that can reject an instance; any other keyword is ignored, as validators ignore it.
    static let constraining: Set<String> = string.union(number).union(object).union(array).union(applicators)

    static func constrainingKeys(_ members: [JSONValue.Member]) -> [String] {
        members.map(\.key).filter { constraining.contains($0) }
    }
}
