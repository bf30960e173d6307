import Hummingbird
import HummingbirdTesting
import ServingCore
import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("POST /v1/chat/completions with tools")
struct ToolCallingRouteTests {
    static let hermes = ToolCallingOptions(enableAutoToolChoice: true, parser: .hermes)
    static let tools =
        #"[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]"#
    static let ask = #"{"messages":[{"role":"user","content":"Weather?"}],"tools":"# + tools
    static let call =
        #"<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>"#
    /// Renders tools, tool calls (arguments through tojson) and tool results, so a test can read them in the prompt.
    static let template = """
        {% for m in messages %}{{ m['role'] }}:{% if m['content'] %}{{ m['content'] }}{% endif %}\
        {% for c in m['tool_calls'] or [] %}<call {{ c['function']['name'] }} \
        {{ c['function']['arguments'] | tojson }}>\
        {% endfor %}{% if m['tool_call_id'] %}[{{ m['tool_call_id'] }}]{% endif %}
        {% endfor %}{% if tools %}TOOLS {{ tools | tojson }}
        {% endif %}{% if add_generation_prompt %}assistant:{% endif %}
        """

    func prompt(_ engine: FakeEngine) -> String {
        FakeEngine.tokenizer.decode(
            engine.requests.first?.promptTokenIDs ?? [], skipSpecialTokens: false)
    }

    @Test(
        "without --enable-auto-tool-choice, tools (tool_choice defaults to auto) are refused as vLLM words it"
    )
    func autoNeedsTheFlag() async throws {
        try await withAPI { client in
            let (status, body, _) = try await client.post("/v1/chat/completions", Self.ask + "}")
            #expect(status == .badRequest)
            #expect(
                body["error"]?["message"]
                    == #""auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set"#
            )
            #expect(body["error"]?["param"] == "tool_choice")
        }
    }

    @Test("without the flag and without tools nothing changes: call text stays content")
    func nothingChangesWithoutTheFlag() async throws {
        try await withAPI(FakeEngine(script: FakeEngine.pieces([Self.call]))) { client in
            let (status, body, _) = try await client.post(
                "/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(status == .ok)
            #expect(body["choices"]?[0]?["message"]?["content"] == .string(Self.call))
            #expect(body["choices"]?[0]?["message"]?["tool_calls"] == [])
            #expect(body["choices"]?[0]?["finish_reason"] == "stop")
        }
    }

    @Test("a parsed call gives message.tool_calls, null content and finish_reason tool_calls")
    func nonStreamingCall() async throws {
        let engine = FakeEngine(script: FakeEngine.pieces([Self.call]))
        try await withAPI(
            engine, toolCalling: Self.hermes, chatTemplate: Self.template, maxModelLen: 1024
        ) { client in
            let (status, body, _) = try await client.post("/v1/chat/completions", Self.ask + "}")
            #expect(status == .ok, "\(body)")
            let choice = try #require(body["choices"]?[0])
            #expect(choice["finish_reason"] == "tool_calls")
            #expect(choice["message"]?["content"] == .null)
            let call = try #require(choice["message"]?["tool_calls"]?[0])
            #expect(call["type"] == "function")
            #expect(call["id"]?.stringValue?.hasPrefix("chatcmpl-tool-") == true)
            #expect(call["function"]?["name"] == "get_weather")
            #expect(call["function"]?["arguments"] == #"{"city": "Paris"}"#)
        }
        #expect(prompt(engine).contains(#"TOOLS [{"#), "the tools reach the template")
        #expect(
            engine.requests.first?.samplingParams.skipSpecialTokens == false,
            "hermes keeps special tokens")
    }

    @Test("a call cut off by max_tokens but complete still finishes with tool_calls (vLLM's rule)")
    func lengthBecomesToolCalls() async throws {
        let engine = FakeEngine(
            script: FakeEngine.pieces(["Let me see. ", Self.call], finish: .length))
        try await withAPI(engine, toolCalling: Self.hermes) { client in
            let (_, body, _) = try await client.post("/v1/chat/completions", Self.ask + "}")
            #expect(body["choices"]?[0]?["finish_reason"] == "tool_calls")
            #expect(body["choices"]?[0]?["message"]?["content"] == "Let me see. ")
        }
    }

    @Test("malformed call JSON comes back as content with the model's finish reason")
    func malformedFallsBack() async throws {
        let text = #"<tool_call>{"name": "get_weather", "arguments": {"city": }}</tool_call>"#
        try await withAPI(FakeEngine(script: FakeEngine.pieces([text])), toolCalling: Self.hermes) {
            client in
            let (_, body, _) = try await client.post("/v1/chat/completions", Self.ask + "}")
            #expect(body["choices"]?[0]?["message"]?["content"] == .string(text))
            #expect(body["choices"]?[0]?["message"]?["tool_calls"] == [])
            #expect(body["choices"]?[0]?["finish_reason"] == "stop")
        }
    }

    @Test(
        "a stream split inside the tag and the arguments sends content, then delta.tool_calls, then tool_calls"
    )
    func streaming() async throws {
        let pieces = [
            "Checking <to", "ol_ca", #"ll>{"na"#, #"me": "get_wea"#, #"ther", "arguments": {"ci"#,
            #"ty": "Pa"#,
            #"ris"}}</tool"#, "_call>\n", Self.call.replacingOccurrences(of: "Paris", with: "Rome"),
        ]
        try await withAPI(FakeEngine(script: FakeEngine.pieces(pieces)), toolCalling: Self.hermes) {
            client in
            let (_, _, text) = try await client.post(
                "/v1/chat/completions", Self.ask + #","stream":true}"#)
            let (chunks, done) = events(text)
            #expect(done)
            let streamed = StreamedToolCalls(chunks: chunks)
            #expect(streamed.violations.isEmpty)
            #expect(streamed.content == "Checking ")
            #expect(
                streamed.contentDeltas.allSatisfy { !$0.contains("<") }, "no partial tag leaks as content")
            #expect(
                streamed.namesAndArguments == [
                    #"get_weather {"city": "Paris"}"#, #"get_weather {"city": "Rome"}"#,
                ])
            #expect(chunks.last?["choices"]?[0]?["finish_reason"] == "tool_calls")
        }
    }

    @Test("each of n choices streams its own calls and finishes with tool_calls")
    func streamingChoices() async throws {
        let pieces = ["<tool_", #"call>{"name": "get_weather", "arg"#, #"uments": {}}"#]
        try await withAPI(FakeEngine(script: FakeEngine.pieces(pieces)), toolCalling: Self.hermes) { client in
            let (_, _, text) = try await client.post("/v1/chat/completions", Self.ask + #","stream":true,"n":2}"#)
            let (chunks, _) = events(text)
            for index in 0..<2 {
                let mine = chunks.filter { $0["choices"]?[0]?["index"]?.int == index }
                let streamed = StreamedToolCalls(chunks: mine)
                #expect(streamed.violations.isEmpty)
                #expect(streamed.namesAndArguments == ["get_weather {}"])
                #expect(mine.last?["choices"]?[0]?["finish_reason"] == "tool_calls")
            }
        }
    }

    @Test(
        "llama3_json and mistral calls come back as tool_calls through the route",
        arguments: [
            (ToolCallParserName.llama3JSON, #"{"name": "get_weather", "parameters": {"city": "Paris"}}"#, false),
            (.mistral, #"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}]"#, true),
        ])
    func otherParsers(parser: ToolCallParserName, text: String, keepsSpecialTokens: Bool) async throws {
        let engine = FakeEngine(script: FakeEngine.pieces([text]))
        let options = ToolCallingOptions(enableAutoToolChoice: true, parser: parser)
        try await withAPI(engine, toolCalling: options) { client in
            let (_, body, _) = try await client.post("/v1/chat/completions", Self.ask + "}")
            let call = body["choices"]?[0]?["message"]?["tool_calls"]?[0]
            #expect(call?["function"]?["name"] == "get_weather", "\(body)")
            #expect(call?["function"]?["arguments"] == #"{"city": "Paris"}"#)
            #expect(body["choices"]?[0]?["finish_reason"] == "tool_calls")
        }
        #expect(engine.requests.first?.samplingParams.skipSpecialTokens == !keepsSpecialTokens)
    }

    @Test(
        "tool_choice none parses nothing and still renders the tools, unless the server excludes them")
    func toolChoiceNone() async throws {
        let request = Self.ask + #","tool_choice":"none"}"#
        let engine = FakeEngine(script: FakeEngine.pieces([Self.call]))
        try await withAPI(
            engine, toolCalling: Self.hermes, chatTemplate: Self.template, maxModelLen: 1024
        ) { client in
            let (_, body, _) = try await client.post("/v1/chat/completions", request)
            #expect(body["choices"]?[0]?["message"]?["content"] == .string(Self.call))
            #expect(body["choices"]?[0]?["finish_reason"] == "stop")
        }
        #expect(prompt(engine).contains("TOOLS"))
        #expect(engine.requests.first?.samplingParams.skipSpecialTokens == true)
        var excluding = Self.hermes
        excluding.excludeToolsWhenToolChoiceNone = true
        let other = FakeEngine()
        try await withAPI(other, toolCalling: excluding, chatTemplate: Self.template, maxModelLen: 1024) { client in
            _ = try await client.post("/v1/chat/completions", request)
        }
        #expect(!prompt(other).contains("TOOLS"))
    }

    @Test(
        "tool_choice values Apus cannot honour, and malformed tools, are 400s naming the parameter",
        arguments: [
            (
                #","tool_choice":"required","response_format":{"type":"json_object"}}"#, "tool_choice",
                "cannot be combined"
            ),
            (
                #","tool_choice":{"type":"function","function":{"name":"other"}}}"#, "tool_choice",
                "does not match"
            ),
            (#","tool_choice":"sometimes"}"#, "tool_choice", "Invalid value for `tool_choice`"),
        ])
    func refusedToolChoice(suffix: String, param: String, message: String) async throws {
        try await withAPI(toolCalling: Self.hermes) { client in
            let (status, body, _) = try await client.post("/v1/chat/completions", Self.ask + suffix)
            #expect(status == .badRequest)
            #expect(body["error"]?["param"] == .string(param))
            #expect(body["error"]?["message"]?.stringValue?.contains(message) == true, "\(body)")
        }
    }

    @Test(
        "a forced tool_choice constrains the output to calls and returns them as tool_calls, streamed or not",
        arguments: [
            (#""required""#, #"[{"name": "get_weather", "parameters": {"city": "Paris"}}]"#, true),
            (#"{"type":"function","function":{"name":"get_weather"}}"#, #"{"name": "get_weather", "parameters": {"city": "Paris"}}"#, false),
        ])
    func forcedToolChoice(choice: String, output: String, list: Bool) async throws {
        let engine = FakeEngine(script: FakeEngine.pieces([output]))
        let body = Self.ask + #","tool_choice":"# + choice + "}"
        try await withAPI(engine) { client in
            let (status, json, text) = try await client.post("/v1/chat/completions", body)
            #expect(status == .ok, "\(text)")
            let call = json["choices"]?[0]?["message"]?["tool_calls"]?[0]?["function"]
            #expect(call?["name"] == "get_weather")
            #expect(call?["arguments"] == .string(#"{"city": "Paris"}"#))
            #expect(json["choices"]?[0]?["message"]?["content"] == .null)
            let (_, _, stream) = try await client.post(
                "/v1/chat/completions", String(body.dropLast()) + #","stream":true}"#)
            #expect(stream.contains(#""name":"get_weather""#) && stream.contains("Paris"), "\(stream)")
        }
        let constraint = try #require(engine.requests.first?.samplingParams.structuredOutputs)
        #expect(constraint.kind == .json)
        let schema = try JSONValue(parsing: constraint.spec)
        let call = list ? schema["items"]?["anyOf"]?[0] : schema
        #expect(list == (schema["type"] == "array" && schema["minItems"] == .int(1)))
        #expect(call?["properties"]?["name"]?["const"] == "get_weather")
        #expect(call?["properties"]?["parameters"] == ["type": "object"])
    }

    @Test("tool shapes are checked and tool_choice needs tools")
    func malformedTools() async throws {
        let user = #"{"messages":[{"role":"user","content":"Hi"}]"#
        try await withAPI(toolCalling: Self.hermes) { client in
            for (body, param) in [
                (user + #","tools":[{"type":"function","function":{"description":"x"}}]}"#, "tools"),
                (user + #","tools":[{"type":"retrieval","function":{"name":"f"}}]}"#, "tools"),
                (user + #","tools":[{"type":"function"}]}"#, "tools"),
                (user + #","tool_choice":"auto"}"#, "tool_choice"),
            ] {
                let (status, error, _) = try await client.post("/v1/chat/completions", body)
                #expect(status == .badRequest, "\(body)")
                #expect(error["error"]?["param"] == .string(param), "\(body)")
            }
        }
    }

    @Test("earlier tool calls (arguments as objects) and tool results reach the template")
    func toolMessagesReachTheTemplate() async throws {
        let engine = FakeEngine()
        let messages = #"""
            {"messages":[{"role":"user","content":"Weather?"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
            "function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
            {"role":"tool","tool_call_id":"call_1","content":"sunny"}],"tools":
            """# + Self.tools + "}"
        try await withAPI(
            engine, toolCalling: Self.hermes, chatTemplate: Self.template, maxModelLen: 1024
        ) { client in
            let (status, _, _) = try await client.post("/v1/chat/completions", messages)
            #expect(status == .ok)
        }
        let text = prompt(engine)
        #expect(text.contains(#"<call get_weather {"city": "Paris"}>"#), "\(text)")
        #expect(text.contains("tool:sunny[call_1]"), "\(text)")
    }

    @Test("auto tool choice without a parser is refused at start-up")
    func optionsNeedAParser() {
        #expect(throws: ToolCallingOptionsError.self) {
            try ToolCallingOptions(enableAutoToolChoice: true).validate()
        }
        #expect(throws: Never.self) { try Self.hermes.validate() }
    }
}
