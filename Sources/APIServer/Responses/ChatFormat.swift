import ServingCore
import Tokenization

/// The `/v1/chat/completions` response and stream chunk shapes (`chat.completion`, `chat.completion.chunk`).
///
/// A non-streaming response ends with vLLM's top-level `prompt_logprobs` (null unless asked for; the prompt is
/// the same for every choice, so the first choice's are reported). With a `toolParser`, calls in the output become
/// `message.tool_calls` (streams: `delta.tool_calls`) and the choice finishes with "tool_calls", whatever ended the
/// generation — vLLM's rule.
struct ChatFormat: Sendable {
    let id: String
    let model: String
    let created: Int
    let logprobs: LogprobsFormat?
    /// Set when the response carries `prompt_logprobs`.
    var promptLogprobs: LogprobsFormat? = nil
    /// Set when the request's tool calls are parsed out of the output.
    var toolParser: (any ToolCallParser)? = nil

    private func envelope(_ object: String, _ choices: [JSONValue]) -> JSONObject {
        [
            "id": .string(id), "object": .string(object), "created": .int(created), "model": .string(model),
            "choices": .array(choices),
        ]
    }

    private func logprobsJSON(_ positions: [PositionLogprobs]) -> JSONValue {
        guard let logprobs else { return .null }
        return ["content": .array(logprobs.chatContent(positions))]
    }

    func response(_ results: [ChoiceResult], usage: Usage) -> JSONValue {
        var body = envelope(
            "chat.completion",
            results.map { r in
                let (message, toolsCalled) = message(r.text)
                let finish: JSONValue = r.finishReason.map { .string($0.rawValue) } ?? .null
                return [
                    "index": .int(r.index),
                    "message": message,
                    "logprobs": logprobsJSON(r.logprobs),
                    "finish_reason": toolsCalled ? "tool_calls" : finish,
                    "stop_reason": r.stopReason?.json ?? .null,
                ]
            })
        body["usage"] = usage.json
        let prompt = results.first.map { PromptPositions.align($0.promptLogprobs, promptLength: $0.promptLength) }
        body["prompt_logprobs"] = promptLogprobs.map { $0.promptLogprobs(prompt ?? []) } ?? .null
        return .object(body)
    }

    /// The assistant message for a choice's text, and whether it called tools. As vLLM, content is the parser's
    /// (the text before the calls, or its fallback) and null when a call left no text before it.
    private func message(_ text: String) -> (JSONValue, Bool) {
        guard let toolParser else { return (["role": "assistant", "content": .string(text), "tool_calls": []], false) }
        let extracted = toolParser.extract(text)
        let content = extracted.toolsCalled ? extracted.content : extracted.content ?? text
        let message: JSONValue = [
            "role": "assistant", "content": content.map(JSONValue.string) ?? .null,
            "tool_calls": .array(extracted.toolCalls.map(\.json)),
        ]
        return (message, extracted.toolsCalled)
    }

    /// The first chunk of a choice: the assistant role and empty content.
    func roleChunk(index: Int) -> JSONValue {
        .object(
            envelope(
                "chat.completion.chunk",
                [
                    [
                        "index": .int(index), "delta": ["role": "assistant", "content": ""], "logprobs": .null,
                        "finish_reason": .null,
                    ]
                ]))
    }

    /// A chunk of `delta`; with `tools`, its content and `tool_calls` replace the delta's text, and a finishing
    /// chunk says "tool_calls" when `toolsCalled`.
    func chunk(_ delta: ChoiceDelta, tools: ToolStreamDelta? = nil, toolsCalled: Bool = false) -> JSONValue {
        let text = tools?.content ?? delta.text
        var body: JSONObject = text.isEmpty && delta.finishReason != nil ? [:] : ["content": .string(text)]
        if let tools, !tools.toolCalls.isEmpty {
            if text.isEmpty { body["content"] = nil }
            body["tool_calls"] = .array(tools.toolCalls)
        }
        let finish: JSONValue = toolsCalled ? "tool_calls" : delta.finishReason.map { .string($0.rawValue) } ?? .null
        var choice: JSONObject = [
            "index": .int(delta.index),
            "delta": .object(body),
            "logprobs": delta.logprobs.isEmpty ? .null : logprobsJSON(delta.logprobs),
            "finish_reason": delta.finishReason == nil ? .null : finish,
        ]
        if delta.finishReason != nil { choice["stop_reason"] = delta.stopReason?.json ?? .null }
        return .object(envelope("chat.completion.chunk", [.object(choice)]))
    }

    func usageChunk(_ usage: Usage) -> JSONValue {
        var body = envelope("chat.completion.chunk", [])
        body["usage"] = usage.json
        return .object(body)
    }
}
