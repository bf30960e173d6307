import Tokenization

/// A function call the model made, as the OpenAI API returns it: `arguments` is a JSON string.
struct ToolCall: Sendable, Equatable {
    var id: String
    var name: String
    var arguments: String

    var json: JSONValue {
        [
            "id": .string(id), "type": "function",
            "function": ["name": .string(name), "arguments": .string(arguments)],
        ]
    }
}

/// What a parser found in a whole model output: the calls (none = the text is an ordinary answer) and the message
/// content (the text before the calls, nil when there is none; the whole text when nothing was called).
struct ExtractedToolCalls: Sendable, Equatable {
    var toolCalls: [ToolCall]
    var content: String?

    var toolsCalled: Bool { !toolCalls.isEmpty }
}
