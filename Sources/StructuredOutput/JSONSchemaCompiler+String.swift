extension JSONSchemaCompiler {
    /// Regexes (full match, ASCII only, no JSON escapes needed) for the supported `format` values.
    static let formats: [String: String] = {
        let date =
            "[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9]))"
        let time =
            "(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
        let octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
        let ipv4 = "\(octet)(?:\\.\(octet)){3}"
        let h = "[0-9a-fA-F]{1,4}"
        let ipv6 = [
            "(?:\(h):){7}\(h)", "(?:\(h):){1,7}:", "(?:\(h):){1,6}:\(h)", "(?:\(h):){1,5}(?::\(h)){1,2}",
            "(?:\(h):){1,4}(?::\(h)){1,3}", "(?:\(h):){1,3}(?::\(h)){1,4}", "(?:\(h):){1,2}(?::\(h)){1,5}",
            "\(h):(?::\(h)){1,6}", ":(?:(?::\(h)){1,7}|:)", "(?:\(h):){6}\(ipv4)", "::(?:ffff(?::0{1,4})?:)?\(ipv4)",
            "(?:\(h):){1,4}:\(ipv4)",
        ].joined(separator: "|")
        let label = "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
        return [
            "date": date,
            "time": time,
            "date-time": "\(date)[Tt]\(time)",
            "email": "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@\(label)(?:\\.\(label))*",
            "uuid": "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "ipv4": ipv4,
            "ipv6": ipv6,
            "hostname": "\(label)(?:\\.\(label))*",
            "uri": "[a-zA-Z][a-zA-Z0-9+.-]*:[^\\x00-\\x20\"<>\\\\^`{|}\\x7f-\\u{10FFFF}]*",
        ]
    }()

    /// Formats that validators check; any other `format` is an annotation (ignored, as validators ignore it).
    static let checkedFormats: Set<String> = [
        "date", "time", "date-time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
        "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template", "json-pointer",
        "relative-json-pointer", "regex",
    ]

    static let maxIntersectedLength = 512

    /// `type: string` with `minLength`/`maxLength`, `pattern` or `format`.
    mutating func string(_ schema: JSONValue) throws -> GrammarExpr {
        let minLength = try count(schema, "minLength") ?? 0
        let maxLength = try count(schema, "maxLength")
        if let maxLength, minLength > maxLength {
            throw GrammarError.invalidBounds("minLength \(minLength) > maxLength \(maxLength)")
        }
        var operands: [GrammarExpr] = []
        // A length bound that the pattern or format already implies needs no intersection.
        var lengthImplied = false
        if let pattern = schema["pattern"] {
            guard case .string(let text) = pattern else { throw GrammarError.unsupported("non-string pattern") }
            operands.append(try RegexPattern.compile(text, encoding: .jsonString, search: true))
            lengthImplied = RegexNode.implies(pattern: text, search: true, min: minLength, max: maxLength)
        }
        if let format = schema["format"], case .string(let name) = format, Self.checkedFormats.contains(name) {
            guard let regex = Self.formats[name] else { throw GrammarError.unsupported("format \(name)") }
            operands.append(try RegexPattern.compile(regex, encoding: .jsonString, search: false))
            lengthImplied =
                lengthImplied || RegexNode.implies(pattern: regex, search: false, min: minLength, max: maxLength)
        }
        let lengthBounded = (minLength > 0 || maxLength != nil) && !lengthImplied
        if lengthBounded || operands.isEmpty {
            let character = JSONGrammar.stringCharacter(surrogateEscapes: !lengthBounded)
            if operands.isEmpty {
                operands.append(.repeat(character, min: minLength, max: maxLength))
            } else {
                // Intersections are materialized, so their counts must stay small.
                if max(minLength, maxLength ?? 0) > Self.maxIntersectedLength {
                    throw GrammarError.unsupported(
                        "pattern or format with a length bound over \(Self.maxIntersectedLength)")
                }
                operands.append(.repeat(character, min: minLength, max: maxLength))
            }
        }
        let body = operands.count == 1 ? operands[0] : GrammarExpr.intersection(operands)
        return .concat([.literal("\""), body, .literal("\"")])
    }

    /// A non-negative integer keyword (`minLength`, `minItems`…), nil if absent.
    func count(_ schema: JSONValue, _ key: String) throws -> Int? {
        guard let value = schema[key] else { return nil }
        guard let number = value.numberValue, number >= 0, IntegralDouble.isIntegral(number) else {
            throw GrammarError.invalidBounds("\(key) must be a non-negative integer")
        }
        guard number <= 1e15 else { throw GrammarError.invalidBounds("\(key) \(number) over 10^15") }
        return Int(number)
    }
}
