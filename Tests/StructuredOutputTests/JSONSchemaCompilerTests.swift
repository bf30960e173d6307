import Testing

@testable import StructuredOutput

@Suite("JSONSchemaCompiler")
struct JSONSchemaCompilerTests {
    /// (schema, instance text, accepted?)
    static let cases: [(String, String, Bool)] = [
        // type, including type arrays and null
        (#"{"type": "null"}"#, "null", true),
        (#"{"type": ["string", "null"]}"#, "null", true),
        (#"{"type": ["string", "null"]}"#, "1", false),
        (#"{"type": "boolean"}"#, "true", true),
        (#"{"type": "number"}"#, "-1.5e+3", true),
        (#"{"type": "integer"}"#, "1.5", false),
        (#"{"type": "integer"}"#, "12", true),
        // integer bounds, exclusive and draft-4 boolean exclusive
        (#"{"type": "integer", "minimum": -7, "maximum": 123}"#, "-7", true),
        (#"{"type": "integer", "minimum": -7, "maximum": 123}"#, "-8", false),
        (#"{"type": "integer", "minimum": -7, "maximum": 123}"#, "124", false),
        (#"{"type": "integer", "exclusiveMinimum": 0}"#, "0", false),
        (#"{"type": "integer", "minimum": 0, "exclusiveMinimum": true}"#, "1", true),
        // decimal bounds
        (#"{"type": "number", "minimum": 0.5, "maximum": 2.25}"#, "0.5", true),
        (#"{"type": "number", "minimum": 0.5, "maximum": 2.25}"#, "0.49", false),
        (#"{"type": "number", "minimum": 0.5, "maximum": 2.25}"#, "2.251", false),
        (#"{"type": "number", "minimum": 0.5, "maximum": 2.25}"#, "1.75", true),
        (#"{"type": "number", "exclusiveMaximum": 0}"#, "-0.001", true),
        (#"{"type": "number", "exclusiveMaximum": 0}"#, "0.0", false),
        // string lengths count characters, not bytes
        (#"{"type": "string", "minLength": 2, "maxLength": 3}"#, "\"\u{e9}\u{4e2d}\"", true),
        (#"{"type": "string", "minLength": 2, "maxLength": 3}"#, "\"\u{e9}\"", false),
        (#"{"type": "string", "maxLength": 3}"#, "\"\u{1F600}\u{1F600}\u{1F600}\u{1F600}\"", false),
        (#"{"type": "string", "maxLength": 2}"#, #""\n\"""#, true),
        (#"{"type": "string", "maxLength": 300}"#, "\"" + String(repeating: "x", count: 300) + "\"", true),
        (#"{"type": "string", "maxLength": 300}"#, "\"" + String(repeating: "x", count: 301) + "\"", false),
        (#"{"type": "string", "pattern": "^[a-z]+$", "maxLength": 3}"#, #""abcd""#, false),
        (#"{"type": "string", "pattern": "^[a-z]+$", "maxLength": 3}"#, #""abc""#, true),
        // formats
        (#"{"type": "string", "format": "date"}"#, #""2024-02-29""#, true),
        (#"{"type": "string", "format": "date"}"#, #""2024-13-01""#, false),
        (#"{"type": "string", "format": "uuid"}"#, #""123e4567-e89b-12d3-a456-426614174000""#, true),
        (#"{"type": "string", "format": "ipv4"}"#, #""256.1.1.1""#, false),
        (#"{"type": "string", "format": "date-time"}"#, #""2024-01-02T03:04:05Z""#, true),
        (#"{"type": "string", "format": "x-unknown"}"#, #""anything""#, true),
        // objects: order, required, additional properties
        (
            #"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["b"]}"#,
            #"{"b": "x"}"#, true
        ),
        (
            #"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["b"]}"#,
            #"{"a": 1}"#, false
        ),
        (
            #"{"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": false}"#,
            #"{"a": 1, "c": 2}"#, false
        ),
        (#"{"type": "object", "properties": {"a": {"type": "integer"}}}"#, #"{"a": 1, "c": [2, {"d": null}]}"#, true),
        (#"{"type": "object", "properties": {"a": {"type": "integer"}}}"#, #"{"a": 1, "a": "x"}"#, false),
        (#"{"type": "object", "properties": {"a": {"type": "integer"}}}"#, #"{"a": 1, "x\"y\n": "z"}"#, true),
        (#"{"type": "object", "properties": {"a": {"type": "integer"}}}"#, #"{"\u0061": "x"}"#, false),
        (#"{"type": "object", "additionalProperties": {"type": "integer"}}"#, #"{"x": 1, "y": "2"}"#, false),
        (#"{"type":"object","properties":{"a":{"type":"integer"}}}"#, "{\n  \"a\" :1\n}", true),
        // arrays
        (#"{"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 3}"#, "[1, 2]", true),
        (#"{"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 3}"#, "[1]", false),
        (#"{"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 3}"#, "[1, 2, 3, 4]", false),
        (
            #"{"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}"#, #"["a", 1, 2]"#,
            true
        ),
        (#"{"type": "array", "prefixItems": [{"type": "string"}], "items": false}"#, #"["a", 1]"#, false),
        // enum, const, anyOf, oneOf (disjoint), allOf, not (types)
        (#"{"enum": ["red", 1, null]}"#, "1", true),
        (#"{"enum": ["red", 1, null]}"#, #""blue""#, false),
        (#"{"const": {"a": [1, 2]}}"#, #"{"a": [1, 2]}"#, true),
        (#"{"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 1}]}"#, #""ab""#, false),
        (#"{"oneOf": [{"type": "integer"}, {"type": "null"}]}"#, "null", true),
        (#"{"allOf": [{"type": "integer"}, {"minimum": 3}]}"#, "2", false),
        (#"{"not": {"type": "string"}}"#, #""x""#, false),
        (#"{"not": {"type": "string"}}"#, "[1]", true),
        (#"{"allOf": [{"enum": [1, 2, 3]}, {"not": {"enum": [2]}}]}"#, "2", false),
        (#"{"type": "string", "enum": ["a", 1, "b"]}"#, "1", false),
        (#"{"type": "string", "enum": ["a", 1, "b"], "const": "b"}"#, #""b""#, true),
        (#"{"type": "string", "enum": ["a", 1, "b"], "const": "b"}"#, #""a""#, false),
        // $ref, $defs, recursion
        (##"{"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n"}"##, "5", true),
        (
            ##"{"type": "object", "properties": {"next": {"$ref": "#"}, "v": {"type": "integer"}}, "additionalProperties": false}"##,
            ##"{"next": {"next": {"v": 1}}, "v": 2}"##, true
        ),
        (
            ##"{"type": "object", "properties": {"next": {"$ref": "#"}, "v": {"type": "integer"}}, "additionalProperties": false}"##,
            ##"{"next": {"next": {"w": 1}}}"##, false
        ),
        (
            ##"{"definitions": {"t": {"type": "array", "items": {"$ref": "#/definitions/t"}}}, "$ref": "#/definitions/t"}"##,
            "[[], [[]]]", true
        ),
    ]

    @Test("instances are accepted or rejected per keyword", arguments: cases)
    func keyword(schema: String, text: String, expected: Bool) throws {
        #expect(try TestSupport.schemaAccepts(schema, text) == expected)
    }

    @Test(
        "schemas that cannot be compiled exactly are errors with a reason",
        arguments: [
            (##"{"$ref": "#/definitions/missing"}"##, "unknown $ref: #/definitions/missing"),
            (#"{"type": "string", "minLength": 5, "maxLength": 2}"#, "invalid bounds: minLength 5 > maxLength 2"),
            (#"{"type": "array", "minItems": 5, "maxItems": 2}"#, "invalid bounds: minItems 5 > maxItems 2"),
            (
                #"{"type": "integer", "minimum": 5, "maximum": 2}"#,
                "invalid bounds: minimum 5 > maximum 2 for an integer"
            ),
            (#"{"type": "array", "items": {"type": "integer"}, "uniqueItems": true}"#, "unsupported: uniqueItems"),
            (
                #"{"oneOf": [{"type": "integer"}, {"minimum": 3}]}"#,
                "unsupported: oneOf with alternatives 0 and 1 that may overlap"
            ),
            (#"{"type": "number", "multipleOf": 3}"#, "unsupported: multipleOf"),
            (#"{"type": "string", "pattern": "(a"}"#, "syntax error at position 0: unbalanced '(' in regex"),
            (#"{"type": "object", "#, "invalid JSON at position 19: expected key"),
            (
                #"{"type": "string", "pattern": "a{100000}"}"#,
                "invalid bounds: repetition count over 10000 at position 1"
            ),
        ])
    func errors(schema: String, message: String) {
        #expect {
            _ = try CompiledGrammar(.jsonSchema(schema), vocabulary: TestSupport.bytes)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test("json_object mode accepts any object and nothing else")
    func jsonObject() throws {
        #expect(try TestSupport.accepts(.jsonObject(), #"{"a": [1, {"b": null}], "c": "d"}"#))
        #expect(try !TestSupport.accepts(.jsonObject(), "[1]"))
        #expect(try !TestSupport.accepts(.jsonObject(), #"{"a": }"#))
    }
}

@Suite("JSONSchemaCompiler objects")
struct JSONSchemaObjectTests {
    static let cases: [(String, String, Bool)] = [
        // patternProperties with additionalProperties false
        (
            #"{"type": "object", "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}"#,
            #"{"x-a": 1}"#, true
        ),
        (
            #"{"type": "object", "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}"#,
            #"{"x-a": "1"}"#, false
        ),
        (
            #"{"type": "object", "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}"#,
            #"{"y": 1}"#, false
        ),
        // a defined property matched by a pattern must satisfy both
        (
            #"{"type": "object", "properties": {"x-n": {"minimum": 5}}, "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}"#,
            #"{"x-n": 4}"#, false
        ),
        (
            #"{"type": "object", "properties": {"x-n": {"minimum": 5}}, "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}"#,
            #"{"x-n": 6, "x-m": 1}"#, true
        ),
        // patternProperties with other names allowed: those take additionalProperties
        (#"{"type": "object", "patternProperties": {"^x-": {"type": "integer"}}}"#, #"{"x-a": 1, "y": "free"}"#, true),
        (
            #"{"type": "object", "patternProperties": {"^x-": {"type": "integer"}}}"#, #"{"y": "free", "x-b": "1"}"#,
            false
        ),
        (
            #"{"type": "object", "patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#,
            #"{"y": 2}"#, false
        ),
        // minProperties 1 with nothing required
        (#"{"type": "object", "properties": {"a": {"type": "integer"}}, "minProperties": 1}"#, "{}", false),
        (#"{"type": "object", "properties": {"a": {"type": "integer"}}, "minProperties": 1}"#, #"{"a": 1}"#, true),
        // optional members in any combination, commas in the right places
        (
            #"{"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "additionalProperties": false}"#,
            #"{"a": 1, "c": 3}"#, true
        ),
        (
            #"{"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "additionalProperties": false}"#,
            #"{, "c": 3}"#, false
        ),
        (
            #"{"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "additionalProperties": false}"#,
            #"{"b": 2,}"#, false
        ),
        // a pattern matching every name: defined names take both schemas, nothing is additional
        (
            #"{"properties": {"a": {"type": "integer"}}, "patternProperties": {".*": {"type": ["string", "integer"]}}}"#,
            #"{"a": 1, "b": "x", "": 2}"#, true
        ),
        (
            #"{"properties": {"a": {"type": "integer"}}, "patternProperties": {".*": {"type": ["string", "integer"]}}}"#,
            #"{"b": null}"#, false
        ),
        (
            #"{"properties": {"a": {"type": "integer"}}, "patternProperties": {".*": {"type": ["string", "integer"]}}}"#,
            #"{"a": "x"}"#, false
        ),
        // additional names are those no (simplified) pattern matches
        (
            #"{"patternProperties": {"[0-9]{3,5}": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#,
            #"{"x12y": "s", "x123": 1, "1234567": 2}"#, true
        ),
        (
            #"{"patternProperties": {"[0-9]{3,5}": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#,
            #"{"x123": "s"}"#, false
        ),
        // names sharing prefixes; an escape that would continue a name (`a\"…`) is refused (a documented restriction)
        (
            #"{"properties": {"a": {"type": "integer"}, "ab": {"type": "integer"}, "a\"c": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#,
            #"{"a": 1, "abc": "x", "b": "y", "a\"d": "z"}"#, false
        ),
        (
            #"{"properties": {"a": {"type": "integer"}, "ab": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#,
            #"{"ab": "x"}"#, false
        ),
        (
            #"{"properties": {"a": {"type": "integer"}, "ab": {"type": "integer"}, "a\"c": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#,
            #"{"a": 1, "abc": "x", "b": "y", "a\\": "z"}"#, true
        ),
        (#"{"properties": {"é": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#, #"{"è": "x"}"#, true),
        (#"{"properties": {"é": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#, #"{"é": "x"}"#, false),
    ]

    @Test("objects with patterns, minimum counts and optional members", arguments: cases)
    func object(schema: String, text: String, expected: Bool) throws {
        #expect(try TestSupport.schemaAccepts(schema, text) == expected)
    }

    @Test("overlapping patterns with different schemas are refused")
    func overlappingPatterns() {
        let schema =
            #"{"type": "object", "patternProperties": {"^a": {"type": "integer"}, "b$": {"type": "string"}}, "additionalProperties": false}"#
        #expect {
            _ = try CompiledGrammar(.jsonSchema(schema), vocabulary: TestSupport.bytes)
        } throws: { error in
            "\(error)" == "unsupported: patternProperties whose patterns overlap"
        }
    }
}

@Suite("JSONSchemaCompiler oneOf")
struct JSONSchemaOneOfTests {
    static let schema = #"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}}, "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}"#

    @Test(
        "oneOf over required names accepts exactly one of them",
        arguments: [
            (#"{"a": 1}"#, true), (#"{"b": 1, "c": 2}"#, true), (#"{"a": 1, "b": 2}"#, false), (#"{"c": 1}"#, false),
        ])
    func exactlyOne(text: String, expected: Bool) throws {
        #expect(try TestSupport.schemaAccepts(Self.schema, text) == expected)
    }
}

@Suite("JSONSchemaCompiler dependencies")
struct JSONSchemaDependencyTests {
    static let schema = #"{"type": "object", "properties": {"card": {"type": "string"}, "address": {"type": "string"}, "name": {"type": "string"}}, "dependencies": {"card": ["address"], "name": {"properties": {"address": {"maxLength": 3}}}}}"#

    @Test(
        "a present trigger brings its required names and schema",
        arguments: [
            (#"{"card": "x", "address": "y"}"#, true), (#"{"card": "x"}"#, false), (#"{"address": "long"}"#, true),
            (#"{"address": "long", "name": "n"}"#, false), (#"{"address": "abc", "name": "n"}"#, true),
        ])
    func dependencies(text: String, expected: Bool) throws {
        #expect(try TestSupport.schemaAccepts(Self.schema, text) == expected)
    }
}

@Suite("JSONSchemaCompiler required pattern names")
struct JSONSchemaRequiredPatternTests {
    static let schema = #"{"type": "object", "properties": {"city": {"type": "string"}}, "patternProperties": {"^line[1-3]$": {"type": "string"}}, "additionalProperties": false, "required": ["city", "line1"]}"#

    @Test(
        "a required name defined only by a pattern takes the pattern's schema",
        arguments: [(#"{"city": "a", "line1": "b"}"#, true), (#"{"city": "a", "line1": 1}"#, false), (#"{"city": "a"}"#, false)])
    func requiredPatternName(text: String, expected: Bool) throws {
        #expect(try TestSupport.schemaAccepts(Self.schema, text) == expected)
    }
}
