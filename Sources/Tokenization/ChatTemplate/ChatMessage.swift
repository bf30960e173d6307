/// One message of a chat conversation as the chat template sees it.
///
/// The template receives it as a dict with keys `role` and `content` (none when `content` is nil), plus
/// `tool_calls`, `tool_call_id` and `name` only when they are set — so `'tool_calls' in message` behaves as it
/// does for transformers' plain dict messages. Tool-call arguments should be objects, not JSON strings (the api
/// layer parses them, as vLLM does, before rendering).
public struct ChatMessage: Sendable, Hashable {
    public var role: String
    public var content: String?
    public var toolCalls: [JSONValue]?
    public var toolCallID: String?
    public var name: String?

    public init(
        role: String, content: String?, toolCalls: [JSONValue]? = nil, toolCallID: String? = nil,
        name: String? = nil
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    /// The dict the template iterates over, in transformers' key order.
    var templateObject: JSONObject {
        var object: JSONObject = ["role": .string(role), "content": content.map(JSONValue.string) ?? .null]
        if let toolCalls { object["tool_calls"] = .array(toolCalls) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let name { object["name"] = .string(name) }
        return object
    }
}
