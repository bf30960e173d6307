import ServingCore
import Tokenization

/// The `/v1/chat/completions` response and stream chunk shapes (`chat.completion`, `chat.completion.chunk`).
///
/// A non-streaming response ends with vLLM's top-level `prompt_logprobs` (null unless asked for; the prompt is
/// the same for every choice, so the first choice's are reported).
struct ChatFormat: Sendable {
    let id: String
    let model: String
    let created: Int
    let logprobs: LogprobsFormat?
    /// Set when the response carries `prompt_logprobs`.
    var promptLogprobs: LogprobsFormat? = nil

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
                [
                    "index": .int(r.index),
                    "message": ["role": "assistant", "content": .string(r.text), "tool_calls": []],
                    "logprobs": logprobsJSON(r.logprobs),
                    "finish_reason": r.finishReason.map { .string($0.rawValue) } ?? .null,
                    "stop_reason": r.stopReason?.json ?? .null,
                ]
            })
        body["usage"] = usage.json
        let prompt = results.first.map { PromptPositions.align($0.promptLogprobs, promptLength: $0.promptLength) }
        body["prompt_logprobs"] = promptLogprobs.map { $0.promptLogprobs(prompt ?? []) } ?? .null
        return .object(body)
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

    func chunk(_ delta: ChoiceDelta) -> JSONValue {
        var choice: JSONObject = [
            "index": .int(delta.index),
            "delta": delta.text.isEmpty && delta.finishReason != nil ? [:] : ["content": .string(delta.text)],
            "logprobs": delta.logprobs.isEmpty ? .null : logprobsJSON(delta.logprobs),
            "finish_reason": delta.finishReason.map { .string($0.rawValue) } ?? .null,
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
