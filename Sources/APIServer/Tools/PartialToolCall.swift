import Tokenization

/// One call object as far as the model has written it, e.g. `{"name": "get_weather", "arguments": {"city": "Pa`.
///
/// The name counts only once its string is complete (vLLM never streams a partial function name); the arguments
/// are the raw bytes of their value so far, which `ArgumentsFormatter` turns into the arguments string. Keys other
/// than the name and the arguments are skipped.
struct PartialToolCall: Equatable {
    var name: String?
    /// Where the object opens (its `{`), once seen.
    var start: Int?
    /// The raw bytes of the arguments value so far.
    var arguments: Range<Int>?
    var argumentsComplete = false
    /// Where the object ends, once closed.
    var end: Int?
    /// The text can no longer become a call object (not an object, a non-string name, an arguments key twice…).
    var invalid = false

    var complete: Bool { end != nil }

    /// A call that ended well enough to be returned: closed, named, with arguments.
    var isUsable: Bool { complete && !invalid && name != nil && argumentsComplete }

    /// Reads the object starting at `start` (after optional whitespace); `argumentKeys` name the arguments field
    /// (Llama also accepts "parameters").
    init(_ bytes: [UInt8], from start: Int, argumentKeys: [String]) {
        var i = JSONPrefixScanner.skipWhitespace(bytes, from: start)
        guard i < bytes.count else { return }
        guard bytes[i] == UInt8(ascii: "{") else {
            invalid = true
            return
        }
        self.start = i
        i += 1
        while true {
            i = JSONPrefixScanner.skipWhitespace(bytes, from: i)
            guard i < bytes.count else { return }
            if bytes[i] == UInt8(ascii: "}") {
                end = i + 1
                return
            }
            guard bytes[i] == UInt8(ascii: "\"") else {
                invalid = true
                return
            }
            guard case .complete(let keyEnd) = JSONPrefixScanner.string(bytes, from: i) else {
                if JSONPrefixScanner.string(bytes, from: i) == .invalid { invalid = true }
                return
            }
            let key = Self.decode(bytes, i..<keyEnd)?.stringValue
            i = JSONPrefixScanner.skipWhitespace(bytes, from: keyEnd)
            guard i < bytes.count else { return }
            guard bytes[i] == UInt8(ascii: ":") else {
                invalid = true
                return
            }
            let valueStart = JSONPrefixScanner.skipWhitespace(bytes, from: i + 1)
            let isArguments = key.map(argumentKeys.contains) ?? false
            if isArguments, arguments != nil {
                invalid = true
                return
            }
            switch JSONPrefixScanner.value(bytes, from: valueStart) {
            case .invalid:
                invalid = true
                return
            case .incomplete:
                if isArguments, valueStart < bytes.count { arguments = valueStart..<bytes.count }
                return
            case .complete(let valueEnd):
                if key == "name" {
                    name = Self.decode(bytes, valueStart..<valueEnd)?.stringValue
                    guard name != nil else {
                        invalid = true
                        return
                    }
                } else if isArguments {
                    arguments = valueStart..<valueEnd
                    argumentsComplete = true
                }
                i = JSONPrefixScanner.skipWhitespace(bytes, from: valueEnd)
            }
            guard i < bytes.count else { return }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
            } else if bytes[i] != UInt8(ascii: "}") {
                invalid = true
                return
            }
        }
    }

    static func decode(_ bytes: [UInt8], _ range: Range<Int>) -> JSONValue? {
        try? JSONValue(parsing: String(decoding: bytes[range], as: UTF8.self))
    }
}
