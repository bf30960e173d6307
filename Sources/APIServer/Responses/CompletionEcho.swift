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

    /// The logprobs entries of the echoed prompt: `promptLogprobs[j]` belongs to prompt token `j + 1`; a position
    /// the upstream did not report stays null like the first.
    func promptEntries(choice: Int, _ promptLogprobs: [PositionLogprobs]) -> [LogprobEntry] {
        promptTokenIDs[choice / choicesPerPrompt].enumerated().map { j, id in
            LogprobEntry(tokenID: id, position: j >= 1 && j - 1 < promptLogprobs.count ? promptLogprobs[j - 1] : nil)
        }
    }
}
