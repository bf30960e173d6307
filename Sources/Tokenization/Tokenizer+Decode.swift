import ServingCore

extension Tokenizer {
    /// The text of `ids`. Unknown ids are ignored; with `skipSpecialTokens` special added tokens are dropped.
    /// Bytes that do not form complete UTF-8 characters become U+FFFD, as in `tokenizers`.
    public func decode(_ ids: [TokenID], skipSpecialTokens: Bool = true) -> String {
        if let byteLevelBytes {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(ids.count * 4)
            for id in ids where !(skipSpecialTokens && skippedOnDecode.contains(id)) {
                byteLevelBytes.append(id, to: &bytes)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && skippedOnDecode.contains(id) { continue }
            if let token = addedDecodeStrings[id] ?? model.token(of: id) { tokens.append(token) }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }
}
