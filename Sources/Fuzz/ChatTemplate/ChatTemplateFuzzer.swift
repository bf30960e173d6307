import Foundation
import FuzzSupport
import Tokenization

/// Fuzzes chat templates and the JSON parser the api and the templates share.
///
/// Byte 0 picks the mode. Even: the rest is a template; compiling may throw but not crash, and a template that
/// compiles renders a fixed conversation (with and without tools; byte 0 / 2 picks the generation prompt and the
/// continued final message). Odd: the rest is JSON text for `JSONValue(parsing:)`; a parsed value must survive
/// `tojson` (parsing the dump gives the value back) and is rendered as the tools, a tool call's arguments and a
/// template variable by real tool-calling templates (Tests/Fixtures/chat_templates/templates).
@main
enum ChatTemplateFuzzer {
    static func main() {
        let warmUp = [[1] + Array(#"{"a": [1, "b"]}"#.utf8), [0] + Array("{{ messages[0].content }}".utf8)]
        LibFuzzer.run(warmUp: warmUp, fuzzOne)
    }

    static func fuzzOne(_ raw: UnsafeRawBufferPointer) {
        var input = FuzzInput(raw)
        let mode = input.byte()
        let text = input.restAsString()
        if mode & 1 == 0 {
            template(text, generationPrompt: mode & 2 != 0, continueFinal: mode & 4 != 0)
        } else {
            json(text)
        }
    }

    static let now = Date(timeIntervalSince1970: 1_748_781_045)

    static let messages = [
        ChatMessage(role: "system", content: "You are terse."),
        ChatMessage(role: "user", content: "What is the weather in Paris?"),
        ChatMessage(
            role: "assistant", content: nil,
            toolCalls: [
                [
                    "id": "call_1", "type": "function",
                    "function": ["name": "get_weather", "arguments": ["city": "Paris"]],
                ]
            ]),
        ChatMessage(role: "tool", content: "{\"temp\": 21}", toolCallID: "call_1", name: "get_weather"),
        ChatMessage(role: "assistant", content: "21 degrees.", reasoningContent: "The tool said 21."),
    ]

    static let tools: [JSONValue] = [
        [
            "type": "function",
            "function": [
                "name": "get_weather", "description": "Weather of a city",
                "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
            ],
        ]
    ]

    static func template(_ source: String, generationPrompt: Bool, continueFinal: Bool) {
        guard let template = try? ChatTemplate(source) else { return }
        for tools in [nil, Self.tools] {
            if continueFinal {
                _ = try? template.renderContinuingFinalMessage(
                    messages: messages, bosToken: "<s>", eosToken: "</s>", tools: tools, extra: [:], now: now)
            } else {
                _ = try? template.render(
                    messages: messages, addGenerationPrompt: generationPrompt, bosToken: "<s>", eosToken: "</s>",
                    tools: tools, extra: [:], now: now)
            }
        }
    }

    static let dump = try! ChatTemplate("{{ value | tojson }}")

    static func json(_ text: String) {
        guard let value = try? JSONValue(parsing: text) else { return }
        // NOTE: 1e999 parses as infinity, which tojson writes as Python does (`Infinity`, not JSON): not compared.
        guard isFinite(value) else { return }
        let dumped: String
        do {
            dumped = try dump.render(
                messages: [], addGenerationPrompt: false, bosToken: nil, eosToken: nil, tools: nil,
                extra: ["value": value], now: now)
        } catch {
            fuzzFailure("tojson failed on a parsed value: \(error)")
        }
        guard let again = try? JSONValue(parsing: dumped) else {
            fuzzFailure("tojson wrote JSON that does not parse: \(dumped)")
        }
        guard again == value else { fuzzFailure("tojson changed the value: \(value) became \(again)") }

        var call = messages
        call[2].toolCalls = [["type": "function", "function": ["name": "f", "arguments": value]]]
        for template in toolTemplates {
            _ = try? template.render(
                messages: call, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>", tools: [value],
                extra: ["value": value], now: now)
        }
    }

    static func isFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .double(let d): d.isFinite
        case .array(let items): items.allSatisfy(isFinite)
        case .object(let object): object.pairs.allSatisfy { isFinite($0.1) }
        default: true
        }
    }

    /// Real tool-calling templates, from the fixtures.
    static let toolTemplates: [ChatTemplate] = {
        return ["qwen3", "llama3_1", "hermes3", "mistral_v0_3"].map { name in
            let source = String(decoding: FuzzFixtures.data("chat_templates/templates/\(name).jinja"), as: UTF8.self)
            return try! ChatTemplate(source)
        }
    }()
}
