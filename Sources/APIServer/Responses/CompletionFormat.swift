import ServingCore
import Tokenization

/// The `/v1/completions` response and stream chunk shapes (`object: "text_completion"`), with vLLM's `echo` and
/// `prompt_logprobs`.
struct CompletionFormat: Sendable {
    let id: String
    let model: String
    let created: Int
    let tokens: LogprobsFormat
    /// The request's `logprobs` (k alternatives); nil = choices carry `"logprobs": null`.
    let logprobs: Int?
    /// Set when the request echoes its prompt.
    let echo: CompletionEcho?
    /// Whether non-streaming choices carry `prompt_logprobs` (asked for directly, or through echo with logprobs,
    /// as vLLM); otherwise the field is null. Stream chunks never carry it (vLLM refuses it on streams).
    let promptLogprobs: Bool
    /// vLLM's `return_token_ids`: each choice's prompt ids (`prompt_token_ids`, on a stream in the choice's first
    /// chunk) and generated ids (`token_ids`, on a stream each chunk's own); nil = neither field.
    var tokenIDs: TokenIDsField? = nil

    /// The prompts' token ids, `choicesPerPrompt` choices each (choice `p·n + i` belongs to prompt p).
    struct TokenIDsField: Sendable {
        var prompts: [[TokenID]]
        var choicesPerPrompt: Int
        func prompt(choice: Int) -> JSONValue { .array(prompts[choice / choicesPerPrompt].map { .int(Int($0)) }) }
    }

    private func envelope(_ choices: [JSONValue]) -> JSONObject {
        [
            "id": .string(id), "object": "text_completion", "created": .int(created), "model": .string(model),
            "choices": .array(choices),
        ]
    }

    private func choice(
        _ index: Int, _ text: String, _ logprobs: JSONValue, _ finish: FinishReason?, _ stop: StopReason?
    ) -> JSONObject {
        [
            "index": .int(index), "text": .string(text), "logprobs": logprobs,
            "finish_reason": finish.map { .string($0.rawValue) } ?? .null, "stop_reason": stop?.json ?? .null,
        ]
    }

    /// A choice's text and logprobs entries: the echoed prompt first (when `echoing`), then the generated part.
    private func content(
        index: Int, echoing: Bool, text: String, positions: [PositionLogprobs], promptLogprobs: [PositionLogprobs]
    ) -> (text: String, entries: [LogprobEntry]) {
        var out = ""
        var entries: [LogprobEntry] = []
        if echoing, let echo {
            out = echo.text(choice: index)
            if logprobs != nil { entries = echo.promptEntries(choice: index, promptLogprobs) }
        }
        if echo?.generates ?? true {
            out += text
            if logprobs != nil { entries += LogprobEntry.of(positions) }
        }
        return (out, entries)
    }

    private func logprobsJSON(_ entries: [LogprobEntry], offset: inout Int) -> JSONValue {
        guard let logprobs else { return .null }
        return tokens.completion(entries, top: logprobs, offset: &offset)
    }

    func response(_ results: [ChoiceResult], usage: Usage) -> JSONValue {
        var body = envelope(
            results.map { r in
                let (text, entries) = content(
                    index: r.index, echoing: true, text: r.text, positions: r.logprobs,
                    promptLogprobs: r.promptLogprobs)
                var offset = 0
                var c = choice(r.index, text, logprobsJSON(entries, offset: &offset), r.finishReason, r.stopReason)
                let prompt = PromptPositions.align(r.promptLogprobs, promptLength: r.promptLength)
                c["prompt_logprobs"] = promptLogprobs ? tokens.promptLogprobs(prompt) : .null
                if let tokenIDs {
                    c["prompt_token_ids"] = tokenIDs.prompt(choice: r.index)
                    c["token_ids"] = .array(r.tokenIDs.map { .int(Int($0)) })
                }
                return .object(c)
            })
        body["usage"] = usage.json
        return .object(body)
    }

    /// One stream chunk for `delta`, or nil when it carries nothing. `first` marks the choice's first delta, which
    /// with echo carries the prompt ahead of the delta's own text (vLLM's first chunk of a choice). `offset` is the
    /// choice's running `text_offset`, over the echoed text too.
    func chunk(_ delta: ChoiceDelta, first: Bool, offset: inout Int) -> JSONValue? {
        let echoing = first && echo != nil
        let (text, entries) = content(
            index: delta.index, echoing: echoing, text: delta.text, positions: delta.logprobs,
            promptLogprobs: delta.promptLogprobs)
        guard echoing || !text.isEmpty || !entries.isEmpty || delta.finishReason != nil
            || (tokenIDs != nil && (first || !delta.tokenIDs.isEmpty))
        else { return nil }
        let lp = logprobsJSON(entries, offset: &offset)
        var c = choice(delta.index, text, lp, delta.finishReason, delta.stopReason)
        if let tokenIDs {
            if first { c["prompt_token_ids"] = tokenIDs.prompt(choice: delta.index) }
            c["token_ids"] = .array(delta.tokenIDs.map { .int(Int($0)) })
        }
        return .object(envelope([.object(c)]))
    }

    func usageChunk(_ usage: Usage) -> JSONValue {
        var body = envelope([])
        body["usage"] = usage.json
        return .object(body)
    }
}
