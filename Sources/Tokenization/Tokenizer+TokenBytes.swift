import ServingCore

extension Tokenizer {
    /// The bytes token `id` adds in the middle of a text: what a grammar matches it by (structured outputs).
    ///
    /// Byte-level BPE: the bytes its characters stand for. SentencePiece: `▁` as a space, a `<0xNN>` byte-fallback
    /// token as that one byte (never U+FFFD), and no start-of-text stripping. Special tokens give their content;
    /// unknown ids give nothing.
    public func tokenBytes(_ id: TokenID) -> [UInt8] {
        if let byteLevelBytes {
            var out: [UInt8] = []
            byteLevelBytes.append(id, to: &out)
            return out
        }
        guard let token = addedDecodeStrings[id] ?? model.token(of: id) else { return [] }
        if skippedOnDecode.contains(id) { return Array(token.utf8) }
        if let byte = TokenDecoder.fallbackByte(token) { return [byte] }
        guard let decoder else { return Array(token.utf8) }
        // NOTE: decoders strip or rewrite the first token of a text (a leading space); decoding after a sentinel
        // gives the token as it reads mid-text.
        let sentinel = "\u{E000}"
        let text = decoder.decode([sentinel, token])
        guard text.hasPrefix(sentinel) else { return Array(decoder.decode([token]).utf8) }
        return Array(text.utf8.dropFirst(sentinel.utf8.count))
    }
}
