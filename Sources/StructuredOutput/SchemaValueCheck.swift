/// Checks a listed value (`enum`/`const`) against the sibling keywords, so only values valid for the whole schema are
/// generated. Only simple keywords are checked; others next to `enum` are unsupported.
enum SchemaValueCheck {
    static func satisfies(_ value: JSONValue, _ schema: JSONValue, compiler: JSONSchemaCompiler) throws -> Bool {
        if let constant = schema["const"], constant != value { return false }
        if let listed = schema["enum"]?.arrayValue, !listed.contains(value) { return false }
        if schema["type"] != nil {
            let types = try compiler.allowedTypes(schema)
            let type = value.schemaType
            if !types.contains(type) && !(type == "integer" && types.contains("number")) { return false }
        }
        for member in schema.objectMembers ?? [] {
            switch member.key {
            case "type", "enum", "const": continue
            case "minLength", "maxLength":
                guard case .string(let text) = value else { continue }
                let length = Double(text.unicodeScalars.count)
                let bound = member.value.numberValue ?? 0
                if member.key == "minLength" ? length < bound : length > bound { return false }
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                guard let number = value.numberValue, let bound = member.value.numberValue else {
                    if value.numberValue != nil && member.value.numberValue == nil {
                        throw GrammarError.unsupported("\(member.key) of \(member.value.schemaType) with enum")
                    }
                    continue
                }
                switch member.key {
                case "minimum": if number < bound { return false }
                case "maximum": if number > bound { return false }
                case "exclusiveMinimum": if number <= bound { return false }
                default: if number >= bound { return false }
                }
            case "minItems", "maxItems":
                guard let items = value.arrayValue else { continue }
                let bound = member.value.numberValue ?? 0
                if member.key == "minItems" ? Double(items.count) < bound : Double(items.count) > bound { return false }
            case "format", "pattern":
                // The listed strings were written by the schema's author; checking them needs a regex matcher.
                if case .string = value { throw GrammarError.unsupported("\(member.key) with enum") }
            default:
                if JSONSchemaKeywords.constraining.contains(member.key) {
                    let applies =
                        (JSONSchemaKeywords.object.contains(member.key) && value.objectMembers != nil)
                        || (JSONSchemaKeywords.array.contains(member.key) && value.arrayValue != nil)
                    if applies { throw GrammarError.unsupported("\(member.key) with enum") }
                }
            }
        }
        return true
    }
}
