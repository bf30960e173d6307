import Foundation
import Testing
@testable import Tokenization

@Suite("Chat template from GGUF metadata")
struct GGUFChatTemplateTests {
    @Test(
        "SmolLM2's tokenizer.chat_template renders as transformers renders it",
        .enabled(if: GGUFFixtures.smollm2Path != nil, GGUFFixtures.smollm2Missing))
    func smollm2Template() throws {
        let tokenizer = try GGUFFixtures.tokenizer(path: GGUFFixtures.smollm2Path!)
        let expectations = try GGUFFixtures.expectations("smollm2-135m-instruct")
        let source = try #require(tokenizer.chatTemplate)
        let template = try ChatTemplate(source)
        let cases = try #require(expectations.chat_cases)
        #expect(cases.count == 5)
        for item in cases {
            let messages = item.messages.map { ChatMessage(role: $0["role"]!, content: $0["content"]) }
            let rendered = try template.render(
                messages: messages, addGenerationPrompt: item.add_generation_prompt,
                bosToken: tokenizer.config?.bosToken, eosToken: tokenizer.config?.eosToken)
            #expect(rendered == item.expected)
        }
    }
}
