/// One message of a chat conversation as the chat template sees it.
///
/// The template receives it as a dict with keys `role` and `content` (none when `content` is nil), plus
/// `tool_calls`, `tool_call_id`, `name` and `reasoning_content` only when they are set — so
/// `'tool_calls' in message` behaves as it does for transformers' plain dict messages. Tool-call arguments
/// should be objects, not JSON strings (the api layer parses them, as vLLM does, before rendering).
public struct ChatMessage: Sendable, Hashable {
    public var role: String
    public var content: String?
    public var toolCalls: [JSONValue]?
    public var toolCallID: String?
    public var name: String?
    /// The reasoning of an earlier assistant turn (vLLM's `reasoning_content`); templates such as Qwen3 read it.
    public var reasoningContent: String?
    /// OpenAI-style content parts (`[{"type": "text", "text": ...}, {"type": "image"}]`); when set, the template
    /// sees this list as `content` instead of the `content` string (vLLM's "openai" content format).
    public var contentParts: [JSONValue]?

    public init(
        role: String, content: String?, toolCalls: [JSONValue]? = nil, toolCallID: String? = nil,
        name: String? = nil, reasoningContent: String? = nil, contentParts: [JSONValue]? = nil
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
        self.reasoningContent = reasoningContent
        self.contentParts = contentParts
    }

    /// The dict the template iterates over, in transformers' key order (which also copies the reasoning to
    /// `thinking`, first, and `reasoning_content`, last).
    var templateObject: JSONObject {
        var object = JSONObject()
        if let reasoningContent { object["thinking"] = .string(reasoningContent) }
        object["role"] = .string(role)
        object["content"] = contentParts.map(JSONValue.array) ?? content.map(JSONValue.string) ?? .null
        if let toolCalls { object["tool_calls"] = .array(toolCalls) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let name { object["name"] = .string(name) }
        if let reasoningContent { object["reasoning_content"] = .string(reasoningContent) }
        return object
    }
}
