import ServingCore

extension GGUFVocabulary {
    /// Texts llama.cpp takes for end-of-turn, end-of-message and fill-in-the-middle tokens (`llama_vocab::impl::load`,
    /// "auto-detect special tokens by text"): it makes such tokens control tokens whatever their type says.
    static let controlLookingTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>", "[EOT]",
        "<|end_of_text|>", "<end_of_utterance>", "<｜end▁of▁sentence｜>", "<|eom_id|>",
        "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>",
        "<|prefix|>", "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
        "<|code_suffix|>", "<|suffix|>", "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>",
        "▁<MID>", "<|code_middle|>", "<|middle|>", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
        "<|fim_repo|>", "<fim-repo>", "<REPO>", "<reponame>", "<|repo_name|>", "<|file_sep|>",
    ]

    /// Texts of tokens llama.cpp ends generation on (its EOG list), also made control tokens.
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// gpt-oss tokens llama.cpp always renders (user-defined whatever their type says).
    static let userDefinedTexts: Set<String> = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]

    /// Applies llama.cpp's text rules to `tokenTypes`, and returns the ids its EOG list gets from them.
    ///
    /// Two exceptions as in llama.cpp: `<|end|>` is neither EOG nor control beside gpt-oss's `<|return|>` and
    /// `<|call|>` (or solar-open's `<|calls|>` / `<|flush|>`), and `</s>` stays normal beside Gemma 4's
    /// `<|tool_response>` or PLaMo's `<|plamo:eos|>`.
    mutating func applyTextRules() -> [TokenID] {
        let present = Set(tokens.filter { Self.endOfGenerationTexts.contains($0) || $0 == "<|plamo:eos|>" })
        let endIsUserDefined =
            present.contains("<|end|>")
            && (present.isSuperset(of: ["<|return|>", "<|call|>"])
                || present.isSuperset(of: ["<|calls|>", "<|flush|>"]))
        let sIsNormal =
            present.contains("</s>") && (present.contains("<|tool_response>") || present.contains("<|plamo:eos|>"))
        var endOfGeneration: [TokenID] = []
        for (id, token) in tokens.enumerated() {
            if Self.userDefinedTexts.contains(token) || (endIsUserDefined && token == "<|end|>") {
                tokenTypes[id] = .userDefined
                continue
            }
            if sIsNormal && token == "</s>" { continue }
            let isEOG = Self.endOfGenerationTexts.contains(token)
            if isEOG { endOfGeneration.append(TokenID(id)) }
            if (isEOG || Self.controlLookingTexts.contains(token)) && tokenTypes[id] != .control {
                tokenTypes[id] = .control
            }
        }
        return endOfGeneration
    }
}
