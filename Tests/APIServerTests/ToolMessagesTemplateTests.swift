import Foundation
import HummingbirdTesting
import Testing
import Tokenization

@testable import APIServer

/// Tool conversations sent the way the OpenAI SDK sends them (arguments as JSON strings) must render exactly as
/// transformers renders the same conversation (arguments as objects) — the golden cases of the Qwen2.5 template.
@Suite("Tool messages through the chat template")
struct ToolMessagesTemplateTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/chat_templates/qwen2_5.json")

    /// The case's messages with every tool call's arguments turned into a JSON string, as clients send them.
    static func openAIMessages(_ messages: [JSONValue]) -> [JSONValue] {
        messages.map { message in
            guard case .object(var object) = message, let calls = object["tool_calls"]?.arrayValue else {
                return message
            }
            object["tool_calls"] = .array(
                calls.map { call in
                    guard case .object(var c) = call, case .object(var function)? = c["function"],
                        let arguments = function["arguments"]
                    else { return call }
                    function["arguments"] = .string(JSONWriter.string(arguments))
                    c["function"] = .object(function)
                    return .object(c)
                })
            return .object(object)
        }
    }

    @Test(
        "assistant tool_calls and tool results render as transformers renders them",
        arguments: ["tools", "parallel_tool_calls", "tools_default_system"])
    func goldenRender(name: String) async throws {
        let fixture = try JSONValue(parsing: String(contentsOf: Self.fixture, encoding: .utf8))
        let template = try #require(fixture["template"]?.stringValue)
        let golden = try #require(fixture["cases"]?.arrayValue?.first { $0["name"]?.stringValue == name })
        let body: JSONValue = [
            "messages": .array(Self.openAIMessages(try #require(golden["messages"]?.arrayValue))),
            "tools": try #require(golden["tools"]), "tool_choice": "none", "max_tokens": 1,
        ]
        let engine = FakeEngine()
        try await withAPI(engine, chatTemplate: template, maxModelLen: 8192) { client in
            let (status, response, _) = try await client.post("/v1/chat/completions", JSONWriter.string(body))
            #expect(status == .ok, "\(response)")
        }
        let expected = try #require(golden["expected"]?.stringValue)
        let prompt = try #require(engine.requests.first?.promptTokenIDs)
        #expect(prompt == FakeEngine.tokenizer.encode(expected, addSpecialTokens: false))
    }

    @Test("tool call arguments that are not JSON are a 400 naming messages")
    func badArguments() async throws {
        let body = #"""
            {"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function",
            "function":{"name":"f","arguments":"{not json"}}]}]}
            """#
        try await withAPI { client in
            let (status, response, _) = try await client.post("/v1/chat/completions", body)
            #expect(status == .badRequest)
            #expect(response["error"]?["param"] == "messages")
        }
    }
}
