import Foundation
import Tokenization

/// Writes tool-call arguments as vLLM does: Python's `json.dumps(arguments, ensure_ascii=False)` — `", "` and
/// `": "` separators, non-ASCII text kept, numbers as Python prints them — whatever spacing the model used.
///
/// `format(_:complete:)` reads raw JSON that may stop anywhere and returns the longest text that is certain to be
/// the start of the final string: a number or literal is written once a delimiter ends it, an escape once all its
/// characters arrived. So a stream may send `format(prefix)` minus what it already sent, and the pieces of every
/// stream add up to the non-streaming string.
enum ArgumentsFormatter {
    /// `complete`: the text is the whole value (a trailing number is final).
    static func format(_ bytes: ArraySlice<UInt8>, complete: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let byte = bytes[i]
            switch byte {
            case _ where JSONPrefixScanner.isWhitespace(byte): i += 1
            case UInt8(ascii: ","):
                out += [UInt8(ascii: ","), 0x20]
                i += 1
            case UInt8(ascii: ":"):
                out += [UInt8(ascii: ":"), 0x20]
                i += 1
            case UInt8(ascii: "\""):
                guard let next = string(bytes, from: i, into: &out) else {
                    return String(decoding: out, as: UTF8.self)
                }
                i = next
            case _ where JSONPrefixScanner.isNumberByte(byte) || (byte >= 0x61 && byte <= 0x7A):
                var j = i
                while j < end,
                    JSONPrefixScanner.isNumberByte(bytes[j]) || (bytes[j] >= 0x61 && bytes[j] <= 0x7A)
                {
                    j += 1
                }
                guard j < end || complete else { return String(decoding: out, as: UTF8.self) }
                out += scalar(String(decoding: bytes[i..<j], as: UTF8.self)).utf8
                i = j
            default:
                out.append(byte)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A number or literal as Python writes it after `json.loads`: 1.50 → 1.5, 1e2 → 100.0.
    static func scalar(_ token: String) -> String {
        guard let value = try? JSONValue(parsing: token) else { return token }
        switch value {
        case .int(let i): return String(i)
        case .double(let d): return pythonFloat(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return token
        }
    }

    /// Python's `repr(float)`: the shortest round-trip digits, `.0` on integral values below 1e16.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        if d == d.rounded(), abs(d) < 1e16 { return String(Int64(d)) + ".0" }
        return String(d)
    }

    /// Copies the string at `start` (its opening quote) re-escaped as Python does; nil when it stops mid-escape.
    /// Returns the index after the closing quote, or the end when the string is still open.
    private static func string(
        _ bytes: ArraySlice<UInt8>, from start: Int, into out: inout [UInt8]
    )
        -> Int?
    {
        out.append(UInt8(ascii: "\""))
        var i = start + 1
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                out.append(byte)
                return i + 1
            }
            guard byte == UInt8(ascii: "\\") else {
                if byte < 0x20 { escape(Unicode.Scalar(byte), into: &out) } else { out.append(byte) }
                i += 1
                continue
            }
            guard let (scalar, next) = unescape(bytes, at: i) else { return nil }
            escape(scalar, into: &out)
            i = next
        }
        return bytes.endIndex
    }

    /// The scalar of the escape at `i` and the index after it; nil while incomplete.
    private static func unescape(_ bytes: ArraySlice<UInt8>, at i: Int) -> (Unicode.Scalar, Int)? {
        guard i + 1 < bytes.endIndex else { return nil }
        switch bytes[i + 1] {
        case UInt8(ascii: "n"): return ("\n", i + 2)
        case UInt8(ascii: "t"): return ("\t", i + 2)
        case UInt8(ascii: "r"): return ("\r", i + 2)
        case UInt8(ascii: "b"): return ("\u{08}", i + 2)
        case UInt8(ascii: "f"): return ("\u{0C}", i + 2)
        case UInt8(ascii: "u"):
            guard let high = hex4(bytes, at: i + 2) else { return nil }
            if (0xD800..<0xDC00).contains(high) {
                guard i + 12 <= bytes.endIndex else { return nil }
                if bytes[i + 6] == UInt8(ascii: "\\"), bytes[i + 7] == UInt8(ascii: "u"),
                    let low = hex4(bytes, at: i + 8), (0xDC00..<0xE000).contains(low)
                {
                    let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    return (Unicode.Scalar(value) ?? "\u{FFFD}", i + 12)
                }
            }
            return (Unicode.Scalar(high) ?? "\u{FFFD}", i + 6)
        case let other: return (Unicode.Scalar(other), i + 2)
        }
    }

    private static func hex4(_ bytes: ArraySlice<UInt8>, at i: Int) -> UInt32? {
        guard i + 4 <= bytes.endIndex else { return nil }
        return UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16)
    }

    private static func escape(_ scalar: Unicode.Scalar, into out: inout [UInt8]) {
        switch scalar {
        case "\"": out += Array(#"\""#.utf8)
        case "\\": out += Array(#"\\"#.utf8)
        case "\n": out += Array(#"\n"#.utf8)
        case "\r": out += Array(#"\r"#.utf8)
        case "\t": out += Array(#"\t"#.utf8)
        case "\u{08}": out += Array(#"\b"#.utf8)
        case "\u{0C}": out += Array(#"\f"#.utf8)
        case _ where scalar.value < 0x20: out += Array(String(format: "\\u%04x", scalar.value).utf8)
        default: out += Array(String(scalar).utf8)
        }
    }
}
