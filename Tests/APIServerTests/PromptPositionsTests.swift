import ServingCore
import Testing

@testable import APIServer

@Suite("Prompt logprobs placed at their prompt positions")
struct PromptPositionsTests {
    /// A reported position for prompt token `id`.
    func position(_ id: TokenID) -> PositionLogprobs {
        PositionLogprobs(tokenIDs: [id, 3], logprobs: [-Float(id), -0.1], sampledRank: 2)
    }

    @Test("a complete report fills positions 1… and leaves the first token null")
    func complete() {
        let aligned = PromptPositions.align([position(11), position(12)], promptLength: 3)
        #expect(aligned == [nil, position(11), position(12)])
    }

    @Test("a report missing earlier chunks is aligned from the end, the missing positions null")
    func tailOnly() {
        let aligned = PromptPositions.align([position(13), position(14)], promptLength: 5)
        #expect(aligned == [nil, nil, nil, position(13), position(14)])
    }

    @Test("nothing reported gives all nulls; an empty prompt gives nothing")
    func empty() {
        #expect(PromptPositions.align([], promptLength: 2) == [nil, nil])
        #expect(PromptPositions.align([position(1)], promptLength: 0).isEmpty)
    }

    @Test("echo puts each reported logprob on its own prompt token, even when the report is partial")
    func echoEntries() {
        let echo = CompletionEcho(
            promptTexts: ["abcd"], promptTokenIDs: [[10, 11, 12, 13]], choicesPerPrompt: 2, generates: true)
        let entries = echo.promptEntries(choice: 1, [position(13)])
        #expect(entries.map(\.tokenID) == [10, 11, 12, 13])
        #expect(entries.map(\.position) == [nil, nil, nil, position(13)])
        #expect(echo.text(choice: 1) == "abcd")
    }
}
