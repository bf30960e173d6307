extension JSONSchemaCompiler {
    /// `type: array`: tuple items (`prefixItems`, or `items` as an array) then the rest (`items`/`additionalItems`),
    /// with `minItems`/`maxItems`.
    mutating func array(_ schema: JSONValue) throws -> GrammarExpr {
        for keyword in ["contains", "unevaluatedItems"] where schema[keyword] != nil {
            throw GrammarError.unsupported(keyword)
        }
        var tuple: [JSONValue] = []
        var rest: JSONValue = .bool(true)
        if let prefix = schema["prefixItems"]?.arrayValue {
            tuple = prefix
            rest = schema["items"] ?? .bool(true)
        } else if let items = schema["items"]?.arrayValue {
            tuple = items
            rest = schema["additionalItems"] ?? .bool(true)
        } else if let items = schema["items"] {
            rest = items
        }
        let minItems = try count(schema, "minItems") ?? 0
        var maxItems = try count(schema, "maxItems")
        if let maxItems, minItems > maxItems {
            throw GrammarError.invalidBounds("minItems \(minItems) > maxItems \(maxItems)")
        }
        if minItems > RegexParser.maxRepeat || (maxItems ?? 0) > RegexParser.maxRepeat {
            throw GrammarError.invalidBounds("minItems/maxItems over \(RegexParser.maxRepeat)")
        }
        var restExpr = try value(rest)
        if restExpr == .nothing { maxItems = min(maxItems ?? tuple.count, tuple.count) }
        if let maxItems, maxItems <= tuple.count { restExpr = .nothing }
        if schema["uniqueItems"] == .bool(true) && (maxItems ?? 2) > 1 {
            throw GrammarError.unsupported("uniqueItems")
        }
        if let maxItems { tuple = Array(tuple.prefix(maxItems)) }
        let tupleExprs = try tuple.map { try value($0) }
        if minItems > tuple.count && restExpr == .nothing { return .nothing }

        // The items after the tuple, each after a separator.
        let restMin = max(0, minItems - tuple.count)
        let restMax = maxItems.map { $0 - tuple.count }
        var body: GrammarExpr
        if tuple.isEmpty {
            if restExpr == .nothing || restMax == 0 {
                body = .empty
            } else if restMin == 0 && restMax == nil {
                // `(item (sep item)*)?` with the item built once: tail 0 is `item, then tail 1`, tail 1 `(sep tail 0)?`.
                let tails: [GrammarExpr] = [
                    .concat([restExpr, .sharedTail(1)]), .optional(.concat([layout.separator, .sharedTail(0)])),
                ]
                body = .sharedScope(tails: tails, body: .optional(.sharedTail(0)))
            } else {
                let more = GrammarExpr.repeat(
                    .concat([layout.separator, restExpr]), min: max(0, restMin - 1), max: restMax.map { $0 - 1 })
                let list = GrammarExpr.concat([restExpr, more])
                body = restMin == 0 ? .optional(list) : list
            }
        } else {
            body =
                restExpr == .nothing
                ? .empty
                : .repeat(.concat([layout.separator, restExpr]), min: restMin, max: restMax)
            for index in stride(from: tupleExprs.count - 1, through: 0, by: -1) {
                let item = GrammarExpr.concat([index == 0 ? .empty : layout.separator, tupleExprs[index], body])
                body = index < minItems ? item : .optional(item)
            }
        }
        return .concat([.literal("["), layout.whitespace, body, layout.whitespace, .literal("]")])
    }
}
