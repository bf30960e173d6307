import Foundation

/// Small helpers for reading the loose parts of Hugging Face JSON files, decoded as `JSONValue` and read through
/// its `JSONSerialization`-style `any` view.
///
/// Only used while loading; the parsed `[String: Any]` values never escape the initialisers.
enum HFJSON {
    typealias Object = [String: Any]

    static func parseObject(_ data: Data, what: String) throws -> Object {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TokenizerError.invalidJSON("\(what) is not valid JSON (\(error))")
        }
        guard let object = value.object else { throw TokenizerError.invalidJSON("\(what) is not a JSON object") }
        return object
    }

    /// The value at `key`, with JSON `null` read as absent.
    static func value(_ object: Object, _ key: String) -> Any? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        return value
    }

    static func string(_ object: Object, _ key: String) -> String? { value(object, key) as? String }

    static func object(_ object: Object, _ key: String) -> Object? { value(object, key) as? Object }

    static func bool(_ object: Object, _ key: String) -> Bool? {
        guard let value = value(object, key) else { return nil }
        if let bool = value as? Bool { return bool }
        if let number = value as? Int { return number != 0 }
        return nil
    }

    static func int(_ any: Any?) -> Int? {
        guard let any, !(any is NSNull) else { return nil }
        if let value = any as? Int { return value }
        if let value = any as? Double, value == value.rounded(), abs(value) < 1e18 { return Int(value) }
        return nil
    }

    static func double(_ any: Any?) -> Double? {
        guard let any, !(any is NSNull) else { return nil }
        if let value = any as? Double { return value }
        if let value = any as? Int { return Double(value) }
        return nil
    }

    static func int(_ object: Object, _ key: String) -> Int? { int(value(object, key)) }

    static func double(_ object: Object, _ key: String) -> Double? { double(value(object, key)) }

    static func required<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw TokenizerError.invalidJSON("missing or malformed \(what)") }
        return value
    }
}

extension JSONValue {
    /// The `JSONSerialization`-style value: `[String: Any]`, `[Any]`, `String`, `Int`, `Double`, `Bool`, `NSNull`.
    var any: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .string(let value): return value
        case .array(let values): return values.map(\.any)
        case .object(let object):
            return Dictionary(object.pairs.map { ($0.key, $0.value.any) }, uniquingKeysWith: { _, last in last })
        }
    }

    /// `any` when this is an object.
    var object: HFJSON.Object? { any as? HFJSON.Object }
}
