/// Python's text forms of values: `repr(float)`, `repr(str)` and `json.dumps(..., ensure_ascii=False)`.
enum PythonFormat {
    /// `repr(float)`: shortest round-trip digits, positional for exponents in [-4, 16), else `1e+16` style.
    static func float(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (digits, exponent) = decimalDigits(abs(value))
        let sign = value < 0 ? "-" : ""
        if exponent >= -4 && exponent < 16 {
            if exponent >= digits.count - 1 {
                return sign + digits + String(repeating: "0", count: exponent - digits.count + 1) + ".0"
            }
            if exponent >= 0 {
                let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
                return sign + digits[..<split] + "." + digits[split...]
            }
            return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits
        }
        let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
        let exponentText = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentText.count < 2 ? "0" : "") + exponentText
    }

    /// The shortest round-trip significant digits (no leading/trailing zeros) and the decimal exponent of the first.
    private static func decimalDigits(_ value: Double) -> (String, Int) {
        let text = "\(value)"
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fractionPart
        var pointPosition = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return ("0", 0) }
        return (digits, pointPosition - 1)
    }

    /// `repr(str)`: single quotes unless the text has a single quote and no double quote.
    static func stringRepr(_ value: String) -> String {
        let quote: Character = value.contains("'") && !value.contains("\"") ? "\"" : "'"
        var result = String(quote)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if Character(scalar) == quote {
                    result += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + hex(scalar.value, width: 2)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        result.append(quote)
        return result
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A JSON string literal as `json.dumps(ensure_ascii=False)` writes it.
    static func jsonString(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    result += "\\u" + hex(scalar.value, width: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
