extension JSONSchemaCompiler {
    /// Regexes (full match, ASCII only, no JSON escapes needed) for the supported `format` values.
    static let formats: [String: String] = {
        let date = "[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-9]))"
        let time = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
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

    /// `type: string` with `minLength`/`maxLength`, `pattern` or `format`.
    mutating func string(_ schema: JSONValue) throws -> GrammarExpr {
        let minLength = try count(schema, "minLength") ?? 0
        let maxLength = try count(schema, "maxLength")
        if let maxLength, minLength > maxLength {
            throw GrammarError.invalidBounds("minLength \(minLength) > maxLength \(maxLength)")
        }
        var body: GrammarExpr
        var lengthNode: RegexNode?
        if let pattern = schema["pattern"] {
            guard case .string(let text) = pattern else { throw GrammarError.unsupported("non-string pattern") }
            if schema["format"] != nil { throw GrammarError.unsupported("pattern with format") }
            body = try RegexPattern.compile(text, encoding: .jsonString, search: true)
            lengthNode = try? RegexParser.parse(text)
            if minLength > 0 || maxLength != nil {
                // Exact only when the pattern (anchored at both ends) already implies the bounds.
                guard let node = lengthNode, let bounds = Self.anchoredLengthBounds(node),
                    bounds.min >= minLength, let max = bounds.max, max <= (maxLength ?? Int.max)
                else { throw GrammarError.unsupported("pattern with minLength/maxLength") }
            }
        } else if let format = schema["format"], case .string(let name) = format, Self.checkedFormats.contains(name) {
            guard let regex = Self.formats[name] else { throw GrammarError.unsupported("format \(name)") }
            if minLength > 0 || maxLength != nil { throw GrammarError.unsupported("format with minLength/maxLength") }
            body = try RegexPattern.compile(regex, encoding: .jsonString, search: false)
        } else {
            let lengthBounded = minLength > 0 || maxLength != nil
            let character = JSONGrammar.stringCharacter(surrogateEscapes: !lengthBounded)
            if let maxLength, maxLength > RegexParser.maxRepeat {
                throw GrammarError.invalidBounds("maxLength over \(RegexParser.maxRepeat)")
            }
            if minLength > RegexParser.maxRepeat {
                throw GrammarError.invalidBounds("minLength over \(RegexParser.maxRepeat)")
            }
            body = .repeat(character, min: minLength, max: maxLength)
        }
        return .concat([.literal("\""), body, .literal("\"")])
    }

    /// A non-negative integer keyword (`minLength`, `minItems`…), nil if absent.
    func count(_ schema: JSONValue, _ key: String) throws -> Int? {
        guard let value = schema[key] else { return nil }
        guard let number = value.numberValue, number >= 0, IntegralDouble.isIntegral(number) else {
            throw GrammarError.invalidBounds("\(key) must be a non-negative integer")
        }
        return number > 1e9 ? 1_000_000_000 : Int(number)
    }

    /// For a pattern anchored with `^…$`: the least and most characters a match has (max nil if unbounded).
    static func anchoredLengthBounds(_ node: RegexNode) -> (min: Int, max: Int?)? {
        guard case .sequence(var items) = node, items.first == .startAnchor, items.last == .endAnchor else { return nil }
        items.removeFirst()
        items.removeLast()
        return lengthBounds(.sequence(items))
    }

    private static func lengthBounds(_ node: RegexNode) -> (min: Int, max: Int?)? {
        switch node {
        case .characters: return (1, 1)
        case .startAnchor, .endAnchor: return nil
        case .sequence(let parts):
            var low = 0
            var high: Int? = 0
            for part in parts {
                guard let bounds = lengthBounds(part) else { return nil }
                low += bounds.min
                high = high.flatMap { h in bounds.max.map { h + $0 } }
            }
            return (low, high)
        case .alternation(let parts):
            let all = parts.compactMap(lengthBounds)
            guard all.count == parts.count, !all.isEmpty else { return nil }
            let highs = all.map(\.max)
            return (all.map(\.min).min()!, highs.contains { $0 == nil } ? nil : highs.map { $0! }.max())
        case .repeat(let body, let min, let max):
            guard let bounds = lengthBounds(body) else { return nil }
            return (bounds.min * min, max.flatMap { m in bounds.max.map { $0 * m } })
        }
    }
}
