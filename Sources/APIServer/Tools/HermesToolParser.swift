/// Hermes / Qwen tool calls (vLLM's `hermes`): each call is a JSON object between `<tool_call>` and `</tool_call>`,
/// `{"name": "get_weather", "arguments": {"city": "Paris"}}`; the content is the text before the first call.
///
/// A last call without its end tag (the model stopped at EOS) still counts when its JSON is complete, as vLLM's
/// `<tool_call>(.*)` alternative allows. Text between and after calls is not content.
struct HermesToolParser: ToolCallParser {
    static let name = "hermes"
    static let startTag = Array("<tool_call>".utf8)
    static let endTag = Array("</tool_call>".utf8)

    func locateCalls(in text: [UInt8], from: Int) -> CallRegion {
        CallMarker.locate(Self.startTag, in: text, from: from)
    }

    func calls(in text: [UInt8], from bodyStart: Int) -> CallList {
        CallList.scan(text, from: bodyStart, argumentKeys: argumentKeys) { closing in
            switch CallMarker.starts(Self.endTag, in: text, at: closing) {
            case nil: return .end
            case false?: return .invalid
            case true?:
                guard let next = CallMarker.find(Self.startTag, in: text, from: closing + Self.endTag.count) else {
                    return .end
                }
                return .next(next + Self.startTag.count)
            }
        }
    }

    func extract(_ text: String) -> ExtractedToolCalls {
        let bytes = Array(text.utf8)
        guard let at = CallMarker.find(Self.startTag, in: bytes, from: 0),
            let calls = finishedCalls(calls(in: bytes, from: at + Self.startTag.count), in: bytes)
        else { return ExtractedToolCalls(toolCalls: [], content: text) }
        let content = String(decoding: bytes[..<at], as: UTF8.self)
        return ExtractedToolCalls(toolCalls: calls, content: content.isEmpty ? nil : content)
    }
}
