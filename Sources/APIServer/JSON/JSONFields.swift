import Tokenization

/// Typed access to a request body's fields; a field of the wrong type throws a 400 naming it. null = absent.
struct JSONFields {
    let object: JSONObject

    init(_ value: JSONValue) throws(APIError) {
        guard case .object(let object) = value else { throw .badRequest("The request body must be a JSON object") }
        self.object = object
    }

    private func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    private func wrongType(_ key: String, _ expected: String) -> APIError {
        .badRequest("'\(key)' must be \(expected)", param: key)
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw wrongType(key, "a string") }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw wrongType(key, "a boolean") }
        return b
    }

    func int(_ key: String) throws(APIError) -> Int? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e18: return Int(d)
        default: throw wrongType(key, "an integer")
        }
    }

    func double(_ key: String) throws(APIError) -> Double? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw wrongType(key, "a number")
        }
    }

    func float(_ key: String) throws(APIError) -> Float? { try double(key).map(Float.init) }

    /// A string or a list of strings (OpenAI's `stop`).
    func strings(_ key: String) throws(APIError) -> [String]? {
        guard let v = value(key) else { return nil }
        switch v {
        case .string(let s): return [s]
        case .array(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw wrongType(key, "a string or a list of strings") }
                out.append(s)
            }
            return out
        default: throw wrongType(key, "a string or a list of strings")
        }
    }

    func ints(_ key: String) throws(APIError) -> [Int]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw wrongType(key, "a list of integers") }
        var out: [Int] = []
        for item in items {
            guard case .int(let i) = item else { throw wrongType(key, "a list of integers") }
            out.append(i)
        }
        return out
    }

    func object(_ key: String) throws(APIError) -> JSONObject? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw wrongType(key, "an object") }
        return o
    }

    func array(_ key: String) throws(APIError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw wrongType(key, "a list") }
        return a
    }
}
