import Foundation
import Testing

@testable import Tokenization

@Suite("Chat templates render exactly what transformers renders")
struct ChatTemplateFixtureTests {
    @Test("every fixture family is present and non-empty")
    func fixturesArePresent() throws {
        for family in ChatTemplateFixtureCase.families + ["features"] {
            #expect(try !ChatTemplateFixtureCase.load(family).isEmpty, "missing fixtures for \(family)")
        }
    }

    @Test("a conversation renders to transformers' output or fails like it", arguments: ChatTemplateFixtureCase.all())
    func rendersLikeTransformers(_ fixture: ChatTemplateFixtureCase) throws {
        let render = {
            let template = try ChatTemplate(fixture.template)
            if fixture.continueFinalMessage {
                return try template.renderContinuingFinalMessage(
                    messages: fixture.messages, bosToken: fixture.bosToken, eosToken: fixture.eosToken,
                    tools: fixture.tools, extra: fixture.extra, now: fixture.now)
            }
            return try template.render(
                messages: fixture.messages, addGenerationPrompt: fixture.addGenerationPrompt,
                bosToken: fixture.bosToken, eosToken: fixture.eosToken, tools: fixture.tools, extra: fixture.extra,
                now: fixture.now)
        }
        if let expected = fixture.expected {
            #expect(try render() == expected)
        } else if fixture.errorType == "TemplateError" {
            let error = #expect(throws: ChatTemplateError.self) { try render() }
            #expect(error?.kind == .raised)
            #expect(error?.message == fixture.errorMessage)
        } else {
            #expect(throws: ChatTemplateError.self, "transformers raised \(fixture.errorType ?? "?")") {
                try render()
            }
        }
    }
}
