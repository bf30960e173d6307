import ServingCore
import Tokenization

/// Turns `PositionLogprobs` into OpenAI's two logprobs shapes and vLLM's `prompt_logprobs`
/// (docs/architecture.md §6.2).
///
/// Each position is `[sampled, top1, …, topk]`; a token's text is its own decoding (special tokens included).
struct LogprobsFormat: Sendable {
    let tokenizer: Tokenizer

    func tokenText(_ id: TokenID) -> String { tokenizer.decode([id], skipSpecialTokens: false) }

    /// Completions: `{"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}`, as vLLM's
    /// `_create_completion_logprobs`: at most `top + 1` alternatives per position (the token itself, then the
    /// top-k), a nil position gives null `token_logprobs` and `top_logprobs`. `offset` is the text length before
    /// the first entry and is advanced past every token's text.
    func completion(_ entries: [LogprobEntry], top: Int, offset: inout Int) -> JSONValue {
        var tokens: [JSONValue] = []
        var values: [JSONValue] = []
        var tops: [JSONValue] = []
        var offsets: [JSONValue] = []
        for entry in entries {
            let text = tokenText(entry.tokenID)
            tokens.append(.string(text))
            if let position = entry.position, let value = position.logprobs.first {
                values.append(.double(Double(value)))
                var alternatives = JSONObject()
                for (id, lp) in zip(position.tokenIDs, position.logprobs).prefix(top + 1)
                where alternatives[tokenText(id)] == nil {
                    alternatives[tokenText(id)] = .double(Double(lp))
                }
                tops.append(.object(alternatives))
            } else {
                values.append(.null)
                tops.append(.null)
            }
            offsets.append(.int(offset))
            offset += text.unicodeScalars.count
        }
        return [
            "tokens": .array(tokens), "token_logprobs": .array(values), "top_logprobs": .array(tops),
            "text_offset": .array(offsets),
        ]
    }

    /// vLLM's `prompt_logprobs` (completions choices, chat responses), from `PromptPositions.align`: one entry per
    /// prompt token, `null` for the first (and any position not reported), else a dict from token id (a string
    /// key) to `{"logprob", "rank", "decoded_token"}` holding the prompt's own token (with its rank) and the top-k
    /// (ranks 1…k); a token in both keeps its first place, as a Python dict does.
    func promptLogprobs(_ positions: [PositionLogprobs?]) -> JSONValue {
        var out: [JSONValue] = []
        for position in positions {
            guard let position else {
                out.append(.null)
                continue
            }
            var entry = JSONObject()
            for (i, (id, lp)) in zip(position.tokenIDs, position.logprobs).enumerated() {
                entry[String(id)] = [
                    "logprob": .double(Double(lp)), "rank": .int(i == 0 ? position.sampledRank : i),
                    "decoded_token": .string(tokenText(id)),
                ]
            }
            out.append(.object(entry))
        }
        return .array(out)
    }

    /// Chat: the entries of `logprobs.content`: `{"token", "logprob", "bytes", "top_logprobs": [...]}`.
    func chatContent(_ positions: [PositionLogprobs]) -> [JSONValue] {
        positions.compactMap { position -> JSONValue? in
            guard let sampled = position.tokenIDs.first, let value = position.logprobs.first else { return nil }
            var entry = chatEntry(sampled, value)
            let top = zip(position.tokenIDs.dropFirst(), position.logprobs.dropFirst()).map { chatEntry($0, $1) }
            entry["top_logprobs"] = .array(top.map(JSONValue.object))
            return .object(entry)
        }
    }

    private func chatEntry(_ id: TokenID, _ logprob: Float) -> JSONObject {
        let text = tokenText(id)
        return [
            "token": .string(text), "logprob": .double(Double(logprob)),
            "bytes": .array(text.utf8.map { .int(Int($0)) }),
        ]
    }
}
