/// Finds where JSON values end in model output that may still be growing (UTF-8 bytes; JSON's structure is ASCII,
/// and a UTF-8 multi-byte sequence never contains an ASCII byte, so scanning bytes is safe).
///
/// The tool parsers use it to cut call objects out of text that stops anywhere — mid-key, mid-string, mid-escape —
/// and to tell "not finished yet" (`incomplete`) from "can never be JSON" (`invalid`). It checks structure only;
/// the values themselves are read with `JSONValue(parsing:)` once complete.
enum JSONPrefixScanner {
    enum Result: Equatable {
        /// The value ends before this byte offset.
        case complete(end: Int)
        /// The text ended inside the value (or a number that may still grow).
        case incomplete
        case invalid
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    static func skipWhitespace(_ bytes: [UInt8], from start: Int) -> Int {
        var i = start
        while i < bytes.count, isWhitespace(bytes[i]) { i += 1 }
        return i
    }

    /// Scans the value starting at `start` (leading whitespace skipped).
    static func value(_ bytes: [UInt8], from start: Int, depth: Int = 0) -> Result {
        let i = skipWhitespace(bytes, from: start)
        guard i < bytes.count else { return .incomplete }
        guard depth < 256 else { return .invalid }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            return container(bytes, from: i, close: UInt8(ascii: "}"), keyed: true, depth: depth)
        case UInt8(ascii: "["):
            return container(bytes, from: i, close: UInt8(ascii: "]"), keyed: false, depth: depth)
        case UInt8(ascii: "\""): return string(bytes, from: i)
        case UInt8(ascii: "t"): return literal(bytes, from: i, "true")
        case UInt8(ascii: "f"): return literal(bytes, from: i, "false")
        case UInt8(ascii: "n"): return literal(bytes, from: i, "null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number(bytes, from: i)
        default: return .invalid
        }
    }

    /// A string starting at the quote at `start`.
    static func string(_ bytes: [UInt8], from start: Int) -> Result {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""): return .complete(end: i + 1)
            case UInt8(ascii: "\\"): i += 2
            case 0..<0x20: return .invalid
            default: i += 1
            }
        }
        return .incomplete
    }

    private static func literal(_ bytes: [UInt8], from start: Int, _ word: String) -> Result {
        for (k, expected) in word.utf8.enumerated() {
            guard start + k < bytes.count else { return .incomplete }
            guard bytes[start + k] == expected else { return .invalid }
        }
        return .complete(end: start + word.utf8.count)
    }

    /// A number ends at the first byte that cannot continue it; at the end of the text it may still grow.
    private static func number(_ bytes: [UInt8], from start: Int) -> Result {
        var i = start
        while i < bytes.count, isNumberByte(bytes[i]) { i += 1 }
        return i == bytes.count ? .incomplete : .complete(end: i)
    }

    static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
            UInt8(ascii: "."),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            return true
        default: return false
        }
    }

    private static func container(
        _ bytes: [UInt8], from start: Int, close: UInt8, keyed: Bool, depth: Int
    ) -> Result {
        var i = skipWhitespace(bytes, from: start + 1)
        guard i < bytes.count else { return .incomplete }
        if bytes[i] == close { return .complete(end: i + 1) }
        while true {
            if keyed {
                guard bytes[i] == UInt8(ascii: "\"") else { return .invalid }
                guard case .complete(let keyEnd) = string(bytes, from: i) else {
                    return string(bytes, from: i)
                }
                i = skipWhitespace(bytes, from: keyEnd)
                guard i < bytes.count else { return .incomplete }
                guard bytes[i] == UInt8(ascii: ":") else { return .invalid }
                i += 1
            }
            switch value(bytes, from: i, depth: depth + 1) {
            case .complete(let end): i = skipWhitespace(bytes, from: end)
            case let other: return other
            }
            guard i < bytes.count else { return .incomplete }
            if bytes[i] == close { return .complete(end: i + 1) }
            guard bytes[i] == UInt8(ascii: ",") else { return .invalid }
            i = skipWhitespace(bytes, from: i + 1)
            guard i < bytes.count else { return .incomplete }
        }
    }
}
