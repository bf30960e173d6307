import ServingCore

extension Tokenizer {
    /// The text of `ids`. Unknown ids are ignored; with `skipSpecialTokens` special added tokens are dropped.
    /// Bytes that do not form complete UTF-8 characters become U+FFFD, as in `tokenizers`.
    public func decode(_ ids: [TokenID], skipSpecialTokens: Bool = true) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && specialTokenIDs.contains(id) { continue }
            if let token = idToToken(id) { tokens.append(token) }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }
}
