/// Llama 3.x JSON tool calls (vLLM's `llama3_json`): the output is one or more call objects separated by `;`,
/// optionally after `<|python_tag|>`: `{"name": "get_weather", "parameters": {"city": "Paris"}}`. The arguments
/// may be under "arguments" or "parameters" (both at once is malformed).
///
/// As in vLLM, a whole output is searched for its first `{` (any text before it is dropped and the content is null),
/// while a stream treats its output as calls only when it begins with `{` or `<|python_tag|>`.
struct Llama3JSONToolParser: ToolCallParser {
    static let name = "llama3_json"
    static let pythonTag = Array("<|python_tag|>".utf8)

    var argumentKeys: [String] { ["arguments", "parameters"] }
    var needsSpecialTokens: Bool { false }

    func locateCalls(in text: [UInt8], from: Int) -> CallRegion {
        guard let first = text.first else { return .content(releasable: 0) }
        if first == UInt8(ascii: "{") { return .calls(contentEnd: 0, bodyStart: 0) }
        switch CallMarker.starts(Self.pythonTag, in: text, at: 0) {
        case true?: return .calls(contentEnd: 0, bodyStart: Self.pythonTag.count)
        case nil: return .content(releasable: 0)
        case false?: return .never
        }
    }

    func calls(in text: [UInt8], from bodyStart: Int) -> CallList {
        CallList.scan(text, from: bodyStart, argumentKeys: argumentKeys) { separator in
            text[separator] == UInt8(ascii: ";") ? .next(separator + 1) : .end
        }
    }

    func extract(_ text: String) -> ExtractedToolCalls {
        let bytes = Array(text.utf8)
        guard let brace = bytes.firstIndex(of: UInt8(ascii: "{")),
            let calls = finishedCalls(calls(in: bytes, from: brace), in: bytes)
        else { return ExtractedToolCalls(toolCalls: [], content: text) }
        return ExtractedToolCalls(toolCalls: calls, content: nil)
    }
}
