import ServingCore

/// `echo: true` on `/v1/completions`, as vLLM's `serving_completion`: each choice's text starts with its prompt's
/// text — the prompt string as sent, or the detokenized ids (special tokens kept) — and, with `logprobs`, its
/// logprobs object covers the prompt's tokens first: the first has null `token_logprobs` and `top_logprobs`
/// (nothing precedes it), the others come from the request's prompt logprobs.
///
/// With `max_tokens: 0` (`generates == false`) a choice is the prompt alone: upstream generates one token (vLLM
/// asks for 1), which is dropped from text and logprobs but counted in usage and gives the finish reason, as in vLLM.
struct CompletionEcho: Sendable {
    /// One per prompt of the batch.
    var promptTexts: [String]
    var promptTokenIDs: [[TokenID]]
    /// `n`: choice `p·n + i` echoes prompt `p`.
    var choicesPerPrompt: Int
    var generates: Bool

    func text(choice: Int) -> String { promptTexts[choice / choicesPerPrompt] }

    /// The logprobs entries of the echoed prompt, placed by `PromptPositions.align`: null for the first token and
    /// for any position the upstream did not report.
    func promptEntries(choice: Int, _ promptLogprobs: [PositionLogprobs]) -> [LogprobEntry] {
        let ids = promptTokenIDs[choice / choicesPerPrompt]
        return zip(ids, PromptPositions.align(promptLogprobs, promptLength: ids.count)).map {
            LogprobEntry(tokenID: $0, position: $1)
        }
    }
}
