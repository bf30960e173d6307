import Foundation
import Testing

@testable import Tokenization

@Suite("JSONValue parses and keeps object key order")
struct JSONValueTests {
    @Test("parsing keeps the order keys appear in")
    func keyOrder() throws {
        let value = try JSONValue(parsing: #"{"zeta": 1, "alpha": {"y": true, "b": null}, "mid": [1.5, "x"]}"#)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(value["alpha"]?.objectValue?.keys == ["y", "b"])
        #expect(value["mid"] == .array([.double(1.5), .string("x")]))
        #expect(value["zeta"] == .int(1))
    }

    @Test("strings decode escapes and surrogate pairs")
    func stringEscapes() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\n\t\u00e9\ud83c\udf0d""#)
        #expect(value == .string("a\"b\\c/d\n\té🌍"))
    }

    @Test("numbers stay integers unless they have a fraction or exponent")
    func numbers() throws {
        #expect(try JSONValue(parsing: "-12") == .int(-12))
        #expect(try JSONValue(parsing: "1.0") == .double(1.0))
        #expect(try JSONValue(parsing: "2e3") == .double(2000))
    }

    @Test(
        "malformed input is rejected with an offset", arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", ""])
    func malformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("object equality ignores key order like Python dicts")
    func equalityIgnoresOrder() throws {
        #expect(try JSONValue(parsing: #"{"a": 1, "b": 2}"#) == JSONValue(parsing: #"{"b": 2, "a": 1}"#))
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = nil
        #expect(object.keys == ["b"])
        object["c"] = "x"
        #expect(object.keys == ["b", "c"])
    }

    @Test("Codable round-trips through JSONEncoder and JSONDecoder")
    func codableRoundTrip() throws {
        let value: JSONValue = [
            "name": "get_weather", "args": ["city": "Paris", "days": 3, "ok": true, "x": nil], "f": 0.5,
        ]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }
}
