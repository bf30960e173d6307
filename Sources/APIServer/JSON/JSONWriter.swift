import Tokenization

/// Serializes a `JSONValue` compactly, keys in insertion order, for response bodies and SSE events.
///
/// Non-finite doubles cannot be JSON: −∞ (a logprob of an impossible token) is written as vLLM writes it, −9999.0,
/// and NaN / +∞ as null.
enum JSONWriter {
    static func string(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, pair) in object.pairs.enumerated() {
                if i > 0 { out += "," }
                writeString(pair.key, into: &out)
                out += ":"
                write(pair.value, into: &out)
            }
            out += "}"
        }
    }

    private static func writeDouble(_ d: Double, into out: inout String) {
        if d.isNaN || d == .infinity {
            out += "null"
        } else if d == -.infinity {
            out += "-9999.0"
        } else if d == d.rounded(), abs(d) < 1e15 {
            out += String(Int64(d)) + ".0"
        } else {
            out += String(d)
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
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
        out += "\""
    }
}
