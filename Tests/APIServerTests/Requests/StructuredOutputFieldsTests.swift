import HummingbirdTesting
import ServingCore
import Testing

@testable import APIServer

@Suite("Structured-output fields: response_format and structured_outputs")
struct StructuredOutputFieldsTests {
    /// The constraint the engine received for one request with `field` added.
    func sent(_ uri: String, _ body: String) async throws -> StructuredOutputsParams? {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, _, text) = try await client.post(uri, body)
            #expect(status == .ok, "\(text)")
        }
        return engine.requests.first?.samplingParams.structuredOutputs
    }

    @Test("response_format json_schema sends the schema as compact JSON text, its keys in the order given")
    func jsonSchema() async throws {
        let schema = #"{"type":"object","properties":{"zeta":{"type":"integer"},"alpha":{"type":"string"}},"required":["zeta"]}"#
        let got = try await sent(
            "/v1/chat/completions",
            #"{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":"#
                + schema + #","strict":true}}}"#)
        #expect(got == StructuredOutputsParams(kind: .json, spec: schema))
    }

    @Test("json_object, text, and each structured_outputs kind with its options")
    func kinds() async throws {
        #expect(try await sent("/v1/completions", #"{"prompt":"Hi","response_format":{"type":"json_object"}}"#)
            == StructuredOutputsParams(kind: .jsonObject))
        #expect(try await sent("/v1/completions", #"{"prompt":"Hi","response_format":{"type":"text"}}"#) == nil)
        #expect(try await sent("/v1/completions", #"{"prompt":"Hi","structured_outputs":{"regex":"[0-9]+"}}"#)
            == StructuredOutputsParams(kind: .regex, spec: "[0-9]+"))
        #expect(try await sent("/v1/completions", #"{"prompt":"Hi","structured_outputs":{"choice":["yes","no"]}}"#)
            == StructuredOutputsParams(kind: .choice, choice: ["yes", "no"]))
        #expect(try await sent("/v1/completions", #"{"prompt":"Hi","structured_outputs":{"grammar":"root ::= \"a\""}}"#)
            == StructuredOutputsParams(kind: .grammar, spec: #"root ::= "a""#))
        var json = StructuredOutputsParams(kind: .json, spec: #"{"type":"integer"}"#)
        json.disableAnyWhitespace = true
        json.disableAdditionalProperties = true
        #expect(
            try await sent(
                "/v1/completions",
                #"{"prompt":"Hi","structured_outputs":{"json":"{\"type\": \"integer\"}","disable_any_whitespace":true,"#
                    + #""disable_additional_properties":true,"json_object":false}}"#) == json)
    }

    @Test("whitespace_pattern is sent as given; an empty one allows no whitespace, as disable_any_whitespace")
    func whitespacePattern() async throws {
        var spaced = StructuredOutputsParams(kind: .jsonObject)
        spaced.whitespacePattern = "[ ]?"
        #expect(
            try await sent(
                "/v1/completions",
                #"{"prompt":"Hi","structured_outputs":{"json_object":true,"whitespace_pattern":"[ ]?"}}"#) == spaced)
        var compact = StructuredOutputsParams(kind: .json, spec: #"{"type":"object"}"#)
        compact.disableAnyWhitespace = true
        #expect(
            try await sent(
                "/v1/chat/completions",
                #"{"messages":[{"role":"user","content":"Hi"}],"structured_outputs":{"json":{"type":"object"},"#
                    + #""whitespace_pattern":""}}"#) == compact)
        #expect(
            try await sent(
                "/v1/completions", #"{"prompt":"Hi","structured_outputs":{"regex":"a","whitespace_pattern":null}}"#)
                == StructuredOutputsParams(kind: .regex, spec: "a"))
    }
}
