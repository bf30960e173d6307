import Testing

@testable import StructuredOutput

@Suite("JSON options: whitespace and closed objects")
struct JSONFormatTests {
    static let object = #"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "array"}}}"#
    static let compact = JSONFormat(whitespace: .none)
    /// outlines' default whitespace, as vLLM users pass it.
    static let optionalSpace = JSONFormat(whitespace: .pattern("[ ]?"))

    func accepts(_ schema: String, _ format: JSONFormat, _ text: String) throws -> Bool {
        try TestSupport.accepts(.jsonSchema(schema, format), text)
    }

    /// The single-byte tokens (ids 0…255 of `TestSupport.bytes`) allowed after `prefix`.
    func allowedBytes(_ spec: GrammarSpec, after prefix: String) throws -> Set<UInt8> {
        let matcher = try CompiledGrammar(spec, vocabulary: TestSupport.bytes).makeMatcher()
        #expect(matcher.accept(bytes: Array(prefix.utf8)))
        var mask: [UInt32] = []
        matcher.fillMask(into: &mask)
        return Set(TestSupport.allowed(mask).filter { $0 < 256 }.map { UInt8($0) })
    }

    @Test(
        "disable_any_whitespace: compact JSON only, listed values included",
        arguments: [
            (object, #"{"a":1,"b":[1,{"c":null}]}"#, true), (object, #"{"a": 1}"#, false),
            (object, #"{ "a":1}"#, false), (object, #"{"b":[1, 2]}"#, false), (object, "{}", true),
            (#"{"enum": [[1, 2], {"k": "v"}]}"#, "[1,2]", true), (#"{"enum": [[1, 2], {"k": "v"}]}"#, "[1, 2]", false),
            (#"{"enum": [[1, 2], {"k": "v"}]}"#, #"{"k":"v"}"#, true),
        ])
    func compactJSON(schema: String, text: String, expected: Bool) throws {
        #expect(try accepts(schema, Self.compact, text) == expected)
    }

    @Test("disable_any_whitespace masks: no space or line break between tokens, in json_object mode too")
    func compactMasks() throws {
        let afterColon = try allowedBytes(.jsonSchema(Self.object, Self.compact), after: #"{"a":"#)
        #expect(afterColon.contains(UInt8(ascii: "1")) && !afterColon.contains(0x20) && !afterColon.contains(0x0A))
        let inObject = try allowedBytes(.jsonObject(Self.compact), after: "{")
        #expect(inObject == [UInt8(ascii: "\""), UInt8(ascii: "}")])
        #expect(try allowedBytes(.jsonObject(), after: "{").isSuperset(of: [0x20, 0x0A, 0x09, 0x0D]))
    }

    @Test(
        "whitespace_pattern replaces the default whitespace between tokens",
        arguments: [
            (#"{"a": 1, "b": [1, 2]}"#, true), (#"{ "a" : 1 }"#, true), (#"{"a":1}"#, true),
            (#"{"a":  1}"#, false), ("{\"a\":\n1}", false), ("{\"a\":\t1}", false),
        ])
    func whitespacePattern(text: String, expected: Bool) throws {
        #expect(try accepts(Self.object, Self.optionalSpace, text) == expected)
    }

    @Test("whitespace_pattern masks: a space where the pattern has room, never a line break")
    func whitespacePatternMasks() throws {
        let spec = GrammarSpec.jsonSchema(Self.object, Self.optionalSpace)
        let afterColon = try allowedBytes(spec, after: #"{"a":"#)
        #expect(afterColon.contains(0x20) && !afterColon.contains(0x0A))
        let afterSpace = try allowedBytes(spec, after: #"{"a": "#)
        #expect(!afterSpace.contains(0x20) && afterSpace.contains(UInt8(ascii: "1")))
        let lines = GrammarSpec.jsonObject(JSONFormat(whitespace: .pattern(#"(\n {0,4})?"#)))
        #expect(try TestSupport.accepts(lines, "{\n    \"k\":\n[\n1\n]\n}"))
        #expect(try !TestSupport.accepts(lines, #"{"k": 1}"#))
    }

    static let notWhitespace =
        "invalid whitespace_pattern: it matches more than JSON whitespace (space, tab, line feed, carriage return)"

    @Test(
        "a whitespace_pattern that does not parse, or matches more than JSON whitespace, is an error naming it",
        arguments: [
            ("(", "invalid whitespace_pattern: syntax error at position 0: unbalanced '(' in regex"),
            ("[ a]*", Self.notWhitespace), (#"\s*"#, Self.notWhitespace),
        ])
    func badWhitespacePattern(pattern: String, message: String) {
        #expect {
            _ = try CompiledGrammar(
                .jsonSchema(Self.object, JSONFormat(whitespace: .pattern(pattern))), vocabulary: TestSupport.bytes)
        } throws: { error in
            "\(error)" == message
        }
    }

    static let nested = ##"""
        {"type": "object", "properties": {"inner": {"$ref": "#/$defs/inner"}, "free": {"type": "object"},
         "open": {"properties": {"x": {}}, "additionalProperties": true},
         "tagged": {"patternProperties": {"^t-": {"type": "integer"}}},
         "data": {"const": {"properties": {"k": 1}}}},
         "$defs": {"inner": {"properties": {"n": {"type": "integer"}}}}}
        """##

    @Test(
        "disable_additional_properties closes objects that define properties and have no additionalProperties",
        arguments: [
            (#"{"inner": {"n": 1}}"#, true), (#"{"inner": {"n": 1, "m": 2}}"#, false), (#"{"zzz": 1}"#, false),
            (#"{"free": {"any": [1]}}"#, true), (#"{"open": {"x": 1, "y": 2}}"#, true),
            (#"{"tagged": {"t-a": 1}}"#, true), (#"{"tagged": {"u": 1}}"#, false),
            (#"{"data": {"properties": {"k": 1}}}"#, true),
        ])
    func closedObjects(text: String, expected: Bool) throws {
        #expect(try accepts(Self.nested, JSONFormat(disableAdditionalProperties: true), text) == expected)
    }

    @Test("without the option the same objects stay open")
    func openByDefault() throws {
        #expect(try accepts(Self.nested, .standard, #"{"inner": {"n": 1, "m": 2}, "zzz": 1}"#))
        #expect(try TestSupport.accepts(.jsonObject(JSONFormat(disableAdditionalProperties: true)), #"{"k": 1}"#))
    }

    @Test("the options are part of the spec, so of the grammar cache key")
    func specKey() {
        #expect(GrammarSpec.jsonSchema("{}") == .jsonSchema("{}", .standard))
        #expect(GrammarSpec.jsonSchema("{}", Self.compact) != .jsonSchema("{}"))
        #expect(GrammarSpec.jsonObject(Self.optionalSpace) != .jsonObject(JSONFormat(whitespace: .pattern("[ ]*"))))
        #expect(GrammarSpec.jsonSchema("{}", JSONFormat(disableAdditionalProperties: true)) != .jsonSchema("{}"))
    }
}
