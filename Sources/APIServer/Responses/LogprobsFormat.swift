import ServingCore
import Tokenization

/// Turns `PositionLogprobs` into OpenAI's two logprobs shapes (reference §10 step 4).
///
/// Each position is `[sampled, top1, …, topk]`; a token's text is its own decoding (special tokens included).
struct LogprobsFormat: Sendable {
    let tokenizer: Tokenizer

    func tokenText(_ id: TokenID) -> String { tokenizer.decode([id], skipSpecialTokens: false) }

    /// Completions: `{"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}`;
    /// `offset` is the text length before the first position, advanced past every token.
    func completion(_ positions: [PositionLogprobs], offset: inout Int) -> JSONValue {
        var tokens: [JSONValue] = []
        var values: [JSONValue] = []
        var tops: [JSONValue] = []
        var offsets: [JSONValue] = []
        for position in positions {
            guard let sampled = position.tokenIDs.first, let value = position.logprobs.first else { continue }
            let text = tokenText(sampled)
            tokens.append(.string(text))
            values.append(.double(Double(value)))
            var top = JSONObject()
            for (id, lp) in zip(position.tokenIDs, position.logprobs) where top[tokenText(id)] == nil {
                top[tokenText(id)] = .double(Double(lp))
            }
            tops.append(.object(top))
            offsets.append(.int(offset))
            offset += text.unicodeScalars.count
        }
        return [
            "tokens": .array(tokens), "token_logprobs": .array(values), "top_logprobs": .array(tops),
            "text_offset": .array(offsets),
        ]
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
