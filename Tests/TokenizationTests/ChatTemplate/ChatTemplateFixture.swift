import Foundation
import Testing

@testable import Tokenization

/// One conversation from `Tests/Fixtures/chat_templates/*.json`, with what transformers rendered for it
/// (made by scripts/fixtures/make_chat_template_fixtures.py).
struct ChatTemplateFixtureCase: CustomTestStringConvertible, Sendable {
    var family: String
    var name: String
    var template: String
    var bosToken: String?
    var eosToken: String?
    var messages: [ChatMessage]
    var addGenerationPrompt: Bool
    var continueFinalMessage: Bool
    var tools: [JSONValue]?
    var extra: [String: JSONValue]
    /// The rendered prompt, or nil when transformers raised.
    var expected: String?
    var errorType: String?
    var errorMessage: String?
    /// The instant `strftime_now` saw when the fixture was made.
    var now: Date

    var testDescription: String { "\(family)/\(name)" }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/chat_templates")
    }

    static let families = [
        "llama2", "llama3", "llama3_1", "llama3_2", "qwen2_5", "qwen3", "mistral_v0_1", "mistral_v0_3", "chatml",
        "zephyr", "gemma", "gemma3", "hermes3", "deepseek_r1", "gpt_oss",
    ]

    static func load(_ family: String) throws -> [ChatTemplateFixtureCase] {
        let url = directory.appendingPathComponent("\(family).json")
        let document = try JSONValue(parsing: String(contentsOf: url, encoding: .utf8))
        guard case .array(let cases)? = document["cases"] else { return [] }
        let now = document["generated_with"]?["now"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
        return cases.map { item in
            ChatTemplateFixtureCase(
                family: family,
                name: item["name"]?.stringValue ?? "?",
                template: item["template"]?.stringValue ?? document["template"]?.stringValue ?? "",
                bosToken: document["bos_token"]?.stringValue,
                eosToken: document["eos_token"]?.stringValue,
                messages: item["messages"]?.arrayValue?.map(message) ?? [],
                addGenerationPrompt: item["add_generation_prompt"] == .bool(true),
                continueFinalMessage: item["continue_final_message"] == .bool(true),
                tools: item["tools"]?.arrayValue,
                extra: item["extra"]?.objectValue.map { Dictionary(uniqueKeysWithValues: $0.pairs.map { ($0, $1) }) }
                    ?? [:],
                expected: item["expected"]?.stringValue,
                errorType: item["error_type"]?.stringValue,
                errorMessage: item["error"]?.stringValue,
                now: now ?? Date())
        }
    }

    static func all() -> [ChatTemplateFixtureCase] {
        ((try? families.flatMap(load)) ?? []) + ((try? load("features")) ?? [])
    }

    private static func message(_ value: JSONValue) -> ChatMessage {
        ChatMessage(
            role: value["role"]?.stringValue ?? "",
            content: value["content"]?.stringValue,
            toolCalls: value["tool_calls"]?.arrayValue,
            toolCallID: value["tool_call_id"]?.stringValue,
            name: value["name"]?.stringValue,
            reasoningContent: value["reasoning_content"]?.stringValue,
            contentParts: value["content"]?.arrayValue)
    }
}
