import Foundation

/// Mistral tool calls (vLLM's `mistral`, the JSON-array format of Hugging Face tokenizers): `[TOOL_CALLS]` then a
/// JSON array of call objects, `[TOOL_CALLS][{"name": "add", "arguments": {"a": 1, "b": 2}}]`. The content is the
/// text before the marker.
///
/// `[TOOL_CALLS]` is a special token, so requests keep special tokens while tools are in play (vLLM's
/// `adjust_request`). Call ids are 9 letters and digits, the only shape Mistral's templates accept. As in vLLM, a
/// malformed call returns the text without the marker, trimmed, as content.
struct MistralToolParser: ToolCallParser {
    static let name = "mistral"
    static let marker = Array("[TOOL_CALLS]".utf8)
    private static let alphanumerics = Array(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    func makeCallID() -> String { String((0..<9).map { _ in Self.alphanumerics.randomElement()! }) }

    func locateCalls(in text: [UInt8], from: Int) -> CallRegion {
        CallMarker.locate(Self.marker, in: text, from: from)
    }

    func calls(in text: [UInt8], from bodyStart: Int) -> CallList {
        var list = CallList()
        let open = JSONPrefixScanner.skipWhitespace(text, from: bodyStart)
        guard open < text.count else { return list }
        guard text[open] == UInt8(ascii: "[") else {
            list.invalid = true
            return list
        }
        return CallList.scan(text, from: open + 1, argumentKeys: argumentKeys) { separator in
            switch text[separator] {
            case UInt8(ascii: ","): .next(separator + 1)
            case UInt8(ascii: "]"): .end
            default: .invalid
            }
        }
    }

    func extract(_ text: String) -> ExtractedToolCalls {
        let bytes = Array(text.utf8)
        guard let at = CallMarker.find(Self.marker, in: bytes, from: 0) else {
            return ExtractedToolCalls(toolCalls: [], content: text)
        }
        guard let calls = finishedCalls(calls(in: bytes, from: at + Self.marker.count), in: bytes)
        else {
            let withoutMarker = text.replacingOccurrences(of: "[TOOL_CALLS]", with: "")
            return ExtractedToolCalls(
                toolCalls: [], content: withoutMarker.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let content = String(decoding: bytes[..<at], as: UTF8.self)
        return ExtractedToolCalls(toolCalls: calls, content: content.isEmpty ? nil : content)
    }
}
