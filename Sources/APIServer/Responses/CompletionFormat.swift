import ServingCore
import Tokenization

/// The `/v1/completions` response and stream chunk shapes (`object: "text_completion"`).
struct CompletionFormat: Sendable {
    let id: String
    let model: String
    let created: Int
    let logprobs: LogprobsFormat?

    private func envelope(_ choices: [JSONValue]) -> JSONObject {
        [
            "id": .string(id), "object": "text_completion", "created": .int(created), "model": .string(model),
            "choices": .array(choices),
        ]
    }

    private func choice(
        _ index: Int, _ text: String, _ logprobs: JSONValue, _ finish: FinishReason?, _ stop: StopReason?
    ) -> JSONValue {
        [
            "index": .int(index), "text": .string(text), "logprobs": logprobs,
            "finish_reason": finish.map { .string($0.rawValue) } ?? .null, "stop_reason": stop?.json ?? .null,
        ]
    }

    func response(_ results: [ChoiceResult], usage: Usage) -> JSONValue {
        var body = envelope(
            results.map { r in
                var offset = 0
                let lp = logprobs.map { $0.completion(r.logprobs, offset: &offset) } ?? .null
                return choice(r.index, r.text, lp, r.finishReason, r.stopReason)
            })
        body["usage"] = usage.json
        return .object(body)
    }

    /// One stream chunk; `offset` is the choice's running text offset for `text_offset`.
    func chunk(_ delta: ChoiceDelta, offset: inout Int) -> JSONValue {
        let lp = logprobs.map { $0.completion(delta.logprobs, offset: &offset) } ?? .null
        return .object(envelope([choice(delta.index, delta.text, lp, delta.finishReason, delta.stopReason)]))
    }

    func usageChunk(_ usage: Usage) -> JSONValue {
        var body = envelope([])
        body["usage"] = usage.json
        return .object(body)
    }
}
