import Foundation
import Testing

@testable import Tokenization

@Suite("ChatTemplate.render builds the variables transformers passes")
struct ChatTemplateRenderTests {
    private let user = ChatMessage(role: "user", content: "Hi")

    @Test("strftime_now reads the clock it is handed, formatted in UTC")
    func strftimeNow() throws {
        let url = ChatTemplateFixtureCase.directory.appendingPathComponent("templates/llama3_2.jinja")
        let template = try ChatTemplate(String(contentsOf: url, encoding: .utf8))
        let now = Date(timeIntervalSince1970: 1_741_132_800)  // 2025-03-05T00:00:00Z
        let text = try template.render(
            messages: [user], addGenerationPrompt: true, bosToken: "<|begin_of_text|>", eosToken: nil, tools: nil,
            extra: [:], now: now)
        #expect(text.contains("Today Date: 05 Mar 2025\n"))
    }

    @Test("strftime directives match C strftime")
    func strftimeDirectives() {
        let date = Date(timeIntervalSince1970: 1_704_164_645)  // 2024-01-02T03:04:05Z, a Tuesday
        #expect(Strftime.format("%Y-%m-%d %H:%M:%S", date) == "2024-01-02 03:04:05")
        #expect(Strftime.format("%d %B %Y, %A %a %b %y %-d %%", date) == "02 January 2024, Tuesday Tue Jan 24 2 %")
    }

    @Test("tools and documents are none when not given, a list when given")
    func toolsVariable() throws {
        let template = try ChatTemplate("{{ tools is none }} {{ documents is none }} {{ tools | length if tools }}")
        let without = try template.render(messages: [], addGenerationPrompt: false, bosToken: nil, eosToken: nil)
        #expect(without == "True True ")
        let with = try template.render(
            messages: [], addGenerationPrompt: false, bosToken: nil, eosToken: nil, tools: [["type": "function"]])
        #expect(with == "False True 1")
    }

    @Test("special tokens are undefined when absent and extra variables can override them")
    func specialTokensAndExtra() throws {
        let template = try ChatTemplate("[{{ bos_token }}|{{ eos_token is defined }}|{{ flavour }}]")
        let text = try template.render(
            messages: [], addGenerationPrompt: false, bosToken: "<s>", eosToken: nil,
            extra: ["flavour": "mint", "bos_token": "<override>"])
        #expect(text == "[<override>|False|mint]")
    }

    @Test("messages carry optional keys only when set")
    func messageKeys() throws {
        let template = try ChatTemplate(
            "{% for m in messages %}{{ m | tojson }}|{{ 'tool_calls' in m }}\n{% endfor %}")
        let call: JSONValue = ["id": "c1", "type": "function", "function": ["name": "f", "arguments": ["x": 1]]]
        let text = try template.render(
            messages: [
                ChatMessage(role: "assistant", content: nil, toolCalls: [call]),
                ChatMessage(role: "tool", content: "42", toolCallID: "c1", name: "f"),
            ], addGenerationPrompt: false, bosToken: nil, eosToken: nil)
        #expect(
            text == """
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", \
                "function": {"name": "f", "arguments": {"x": 1}}}]}|True
                {"role": "tool", "content": "42", "tool_call_id": "c1", "name": "f"}|False

                """)
    }

    @Test("a nil content concatenated to a string fails like Python, not with 'None' text")
    func nilContentConcatenation() throws {
        let template = try ChatTemplate("{{ 'x' + messages[0].content }}")
        #expect(throws: ChatTemplateError.self) {
            try template.render(
                messages: [ChatMessage(role: "assistant", content: nil)], addGenerationPrompt: false, bosToken: nil,
                eosToken: nil)
        }
    }

    @Test("one compiled template renders concurrently from many tasks")
    func concurrentRenders() async throws {
        let template = try ChatTemplate(
            "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
                + "{% if add_generation_prompt %}<a>{% endif %}")
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<32 {
                group.addTask {
                    try template.render(
                        messages: [ChatMessage(role: "user", content: "\(index)")], addGenerationPrompt: true,
                        bosToken: nil, eosToken: nil)
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(results.count == 32)
        #expect(results.contains("<user>7<a>"))
    }
}
