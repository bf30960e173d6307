import ServingCore
import Tokenization

/// The calls of a request whose `tool_choice` forces them (docs/architecture.md §6.5): the output is constrained
/// to one call object `{"name": …, "parameters": {…}}` (a named function) or to a JSON array of them
/// (`"required"`), so the whole output is read as calls, streamed or not.
struct ForcedToolCallParser: ToolCallParser {
    static let name = "forced"
    /// A JSON array of calls ("required") rather than one call object (a named function).
    let list: Bool

    var argumentKeys: [String] { ["parameters"] }
    var needsSpecialTokens: Bool { false }

    func locateCalls(in text: [UInt8], from: Int) -> CallRegion {
        let first = JSONPrefixScanner.skipWhitespace(text, from: 0)
        guard first < text.count else { return .content(releasable: 0) }
        return .calls(contentEnd: 0, bodyStart: list ? first + 1 : first)
    }

    func calls(in text: [UInt8], from bodyStart: Int) -> CallList {
        CallList.scan(text, from: bodyStart, argumentKeys: argumentKeys) { after in
            guard list else { return .end }
            switch text[after] {
            case UInt8(ascii: ","): return .next(after + 1)
            case UInt8(ascii: "]"): return .end
            default: return .invalid
            }
        }
    }

    func extract(_ text: String) -> ExtractedToolCalls {
        let bytes = Array(text.utf8)
        guard case .calls(_, let bodyStart) = locateCalls(in: bytes, from: 0),
            let calls = finishedCalls(calls(in: bytes, from: bodyStart), in: bytes)
        else { return ExtractedToolCalls(toolCalls: [], content: text) }
        return ExtractedToolCalls(toolCalls: calls, content: nil)
    }

    /// The JSON schema of one call to `tool` (`{"type": "function", "function": {"name", "parameters"}}`, checked).
    static func callSchema(_ tool: JSONValue) -> JSONValue {
        let function = tool["function"]!
        let parameters = function["parameters"].flatMap { $0 == .null ? nil : $0 } ?? ["type": "object"]
        return [
            "type": "object",
            "properties": ["name": ["const": function["name"]!], "parameters": parameters],
            "required": ["name", "parameters"], "additionalProperties": false,
        ]
    }

    /// The constraint for `"required"`: at least one call, each to one of `tools`.
    static func requiredConstraint(_ tools: [JSONValue]) -> StructuredOutputsParams {
        let schema: JSONValue = [
            "type": "array", "minItems": 1, "items": ["anyOf": .array(tools.map(callSchema))],
        ]
        return StructuredOutputsParams(kind: .json, spec: JSONWriter.string(schema))
    }

    /// The constraint for a named function: exactly one call to `tool`.
    static func namedConstraint(_ tool: JSONValue) -> StructuredOutputsParams {
        StructuredOutputsParams(kind: .json, spec: JSONWriter.string(callSchema(tool)))
    }
}
