/// Compiles a JSON Schema into a byte grammar whose strings are exactly (up to the documented restrictions) the JSON
/// texts of valid instances: properties in definition order, then additional properties; flexible whitespace.
///
/// Restrictions that only reject (never accept) valid texts: property order (alternative-only properties before
/// shared ones for `anyOf`/`oneOf`), additional properties after the defined ones, no `\/` or `\u` escapes in
/// additional property names, `const`/`enum` values as Python's `json.dumps` writes them, integers without fraction or
/// exponent, bounded numbers without exponent (and without `-0`), `date` allowing February 29 in any year. `oneOf` is
/// compiled as `anyOf` only where no instance can match two alternatives (proved from types, constants and
/// discriminating properties) or where the alternatives only list `required` names. Keywords that would constrain but
/// are not implemented throw `unsupported` (`uniqueItems`, `contains`, `multipleOf` on non-integers, `propertyNames`,
/// `if`/`then`/`else`, most `not`s, overlapping `patternProperties`…); unknown keywords and formats are ignored, as
/// validators ignore them.
struct JSONSchemaCompiler {
    /// `$ref` chains and `allOf` merges deeper than this are refused (a recursive schema being merged into itself).
    static let maxMergeDepth = 32

    let document: JSONValue
    /// The whitespace and separators between JSON tokens.
    let layout: JSONLayout
    var grammar = GrammarDefinition()
    private var refRules: [String: Int] = [:]
    /// Rules still to compile; `direct` ones go straight to `valueBody` (they were deferred by `value`).
    private var pending: [(rule: Int, schema: JSONValue, direct: Bool)] = []
    private var anyValueRule: Int?

    static func compile(_ text: String, format: JSONFormat = .standard) throws -> GrammarDefinition {
        var document = try JSONParser.parse(text)
        if format.disableAdditionalProperties { document = document.closingObjectSchemas() }
        var compiler = JSONSchemaCompiler(document: document, layout: try JSONLayout(format.whitespace))
        let root = compiler.grammar.addRule(named: "root")
        compiler.grammar.root = root
        compiler.grammar.define(root, try compiler.value(document))
        try compiler.finishPending()
        return compiler.grammar
    }

    /// `json_object` mode: any JSON object (`disableAdditionalProperties` does not apply: no schema defines
    /// properties).
    static func jsonObjectGrammar(format: JSONFormat = .standard) throws -> GrammarDefinition {
        var compiler = JSONSchemaCompiler(document: .object([]), layout: try JSONLayout(format.whitespace))
        let root = compiler.grammar.addRule(named: "root")
        compiler.grammar.root = root
        compiler.grammar.define(root, compiler.genericObject())
        return compiler.grammar
    }

    init(document: JSONValue, layout: JSONLayout = .bounded) {
        self.document = document
        self.layout = layout
    }

    private mutating func finishPending() throws {
        while let (rule, schema, direct) = pending.popLast() {
            grammar.define(rule, direct ? try valueBody(schema) : try value(schema))
        }
    }

    mutating func anyValue() -> GrammarExpr {
        if anyValueRule == nil { anyValueRule = JSONGrammar.addAnyValueRule(to: &grammar, layout: layout) }
        return .rule(anyValueRule!)
    }

    mutating func genericObject() -> GrammarExpr {
        let member = GrammarExpr.concat([JSONGrammar.anyString, layout.colon, anyValue()])
        return .concat([
            .literal("{"), layout.whitespace,
            .optional(.concat([member, .star(.concat([layout.separator, member]))])), layout.whitespace,
            .literal("}"),
        ])
    }

    /// A rule for the schema at `ref`, compiled once (so recursion terminates).
    mutating func refRule(_ ref: String) throws -> GrammarExpr {
        if let rule = refRules[ref] { return .rule(rule) }
        let target = try resolve(ref)
        let rule = grammar.addRule(named: ref)
        refRules[ref] = rule
        pending.append((rule, target, false))
        return .rule(rule)
    }

    /// A rule for `schema` compiled by `valueBody` once per distinct schema text.
    mutating func deferredRule(_ schema: JSONValue) throws -> GrammarExpr {
        let key = "schema:" + schema.canonicalText
        if let rule = refRules[key] { return .rule(rule) }
        let rule = grammar.addRule(named: key)
        refRules[key] = rule
        pending.append((rule, schema, true))
        return .rule(rule)
    }

    /// Resolves a local `$ref` (`#`, `#/json/pointer`); remote references are unsupported.
    func resolve(_ ref: String) throws -> JSONValue {
        guard ref.hasPrefix("#") else {
            if ref.contains("#") || ref.hasPrefix("http") || ref.contains("/") || ref.hasSuffix(".json") {
                throw GrammarError.unknownReference(ref)
            }
            throw GrammarError.unknownReference(ref)
        }
        var current = document
        let pointer = ref.dropFirst()
        guard !pointer.isEmpty else { return current }
        guard pointer.hasPrefix("/") else { throw GrammarError.unknownReference(ref) }
        for rawToken in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = String(rawToken)
            if token.utf8.contains(UInt8(ascii: "%")) { token = token.removingPercentEncodingLite ?? token }
            if token.utf8.contains(UInt8(ascii: "~")) {
                token = token.replacingOccurrences("~1", "/").replacingOccurrences("~0", "~")
            }
            switch current {
            case .object:
                guard let next = current[token] else { throw GrammarError.unknownReference(ref) }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else {
                    throw GrammarError.unknownReference(ref)
                }
                current = items[index]
            default:
                throw GrammarError.unknownReference(ref)
            }
        }
        return current
    }
}

extension String {
    /// `%XX` decoding for JSON pointers inside URI fragments (no Foundation).
    var removingPercentEncodingLite: String? {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = Array(utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let a = iterator.next(), let b = iterator.next(),
                    let value = UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
