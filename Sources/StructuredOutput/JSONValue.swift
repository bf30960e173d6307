/// A parsed JSON value that keeps object members in document order (property order is part of the grammar).
indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    struct Member: Equatable, Sendable {
        var key: String
        var value: JSONValue
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var objectMembers: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var numberValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The JSON type name as JSON Schema's `type` spells it ("integer" for integral numbers).
    var schemaType: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let text): Self.isIntegral(text) ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    static func isIntegral(_ text: String) -> Bool {
        guard let value = Double(text) else { return false }
        return IntegralDouble.isIntegral(value)
    }

    /// The text Python's `json.dumps(value, ensure_ascii=False)` writes (separators ", " and ": ").
    var canonicalText: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return Self.canonicalNumber(text)
        case .string(let text): return Self.quoted(text)
        case .array(let items): return "[" + items.map(\.canonicalText).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.map { Self.quoted($0.key) + ": " + $0.value.canonicalText }.joined(separator: ", ")
                + "}"
        }
    }

    /// Python keeps integers as written (minus a leading `-` on zero) and prints floats with `repr`.
    static func canonicalNumber(_ text: String) -> String {
        let isInteger = !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
        if isInteger { return text == "-0" ? "0" : text }
        guard let value = Double(text) else { return text }
        return "\(value)"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Integer rounding without libm (the module imports nothing); valid for |x| < 9e18.
enum IntegralDouble {
    static func isIntegral(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        return abs(x) >= 9e18 || Double(Int64(x)) == x
    }

    static func floor(_ x: Double) -> Int64 {
        let t = Int64(x)
        return Double(t) > x ? t - 1 : t
    }

    static func ceiling(_ x: Double) -> Int64 {
        let t = Int64(x)
        return Double(t) < x ? t + 1 : t
    }
}
