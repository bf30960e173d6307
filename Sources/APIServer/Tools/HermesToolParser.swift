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
        var list = CallList()
        var start = bodyStart
        while true {
            let call = PartialToolCall(text, from: start, argumentKeys: argumentKeys)
            list.calls.append(call)
            if call.invalid { list.invalid = true }
            guard !call.invalid, let end = call.end else { return list }
            let closing = JSONPrefixScanner.skipWhitespace(text, from: end)
            guard closing < text.count else { return list }
            switch CallMarker.starts(Self.endTag, in: text, at: closing) {
            case nil: return list
            case false?:
                list.invalid = true
                return list
            case true?:
                guard let next = CallMarker.find(Self.startTag, in: text, from: closing + Self.endTag.count)
                else {
                    return list
                }
                start = next + Self.startTag.count
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
