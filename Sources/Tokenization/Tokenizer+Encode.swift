import ServingCore

extension Tokenizer {
    /// Token ids of `text`; with `addSpecialTokens` the post-processor adds BOS/EOS as the model expects.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [TokenID] {
        var ids: [TokenID] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            for (id, range) in rawMatcher.split(buffer) {
                if let id {
                    ids.append(id)
                } else {
                    encodePiece(buffer[range], atStart: range.lowerBound == 0, into: &ids)
                }
            }
        }
        if addSpecialTokens, let postProcessor { return postProcessor.process(ids) }
        return ids
    }

    /// Normalizes one run of text between raw added tokens, cuts out normalized added tokens, and encodes the rest.
    private func encodePiece(_ raw: Slice<UnsafeBufferPointer<UInt8>>, atStart: Bool, into ids: inout [TokenID]) {
        guard let normalizer else {
            if normalizedMatcher.isEmpty {
                encodeNormalized(TextPiece(bytes: Array(raw), atStart: atStart), into: &ids)
            } else {
                splitNormalized(Array(raw), atStart: atStart, into: &ids)
            }
            return
        }
        let normalized = Array(normalizer.normalize(String(decoding: raw, as: UTF8.self)).utf8)
        splitNormalized(normalized, atStart: atStart, into: &ids)
    }

    private func splitNormalized(_ bytes: [UInt8], atStart: Bool, into ids: inout [TokenID]) {
        if normalizedMatcher.isEmpty {
            encodeNormalized(TextPiece(bytes: bytes, atStart: atStart), into: &ids)
            return
        }
        let parts = bytes.withUnsafeBufferPointer { normalizedMatcher.split($0) }
        for (id, range) in parts {
            if let id {
                ids.append(id)
            } else {
                encodeNormalized(TextPiece(bytes: Array(bytes[range]), atStart: atStart && range.lowerBound == 0),
                                 into: &ids)
            }
        }
    }

    private func encodeNormalized(_ piece: TextPiece, into ids: inout [TokenID]) {
        if piece.bytes.isEmpty { return }
        guard let preTokenizer else {
            piece.bytes.withUnsafeBufferPointer { model.tokenize($0, into: &ids) }
            return
        }
        if case .byteLevel(false, true) = preTokenizer {
            encodeWords(piece.bytes, pattern: .scanner(.gpt2), into: &ids)
            return
        }
        if case .sequence(let list) = preTokenizer, list.count == 2, case .split(let pattern, .isolated) = list[0],
           case .byteLevel(false, false) = list[1] {
            encodeWords(piece.bytes, pattern: pattern, into: &ids)
            return
        }
        for word in preTokenizer.preTokenize([piece]) {
            word.bytes.withUnsafeBufferPointer { model.tokenize($0, into: &ids) }
        }
    }

    /// Fast path for the usual byte-level layouts: split with the pattern and tokenize each word in place.
    private func encodeWords(_ bytes: [UInt8], pattern: SplitPattern, into ids: inout [TokenID]) {
        bytes.withUnsafeBufferPointer { buffer in
            let matches = pattern.matches(in: buffer)
            for range in SplitBehavior.isolated.pieces(count: buffer.count, matches: matches) {
                model.tokenize(UnsafeBufferPointer(rebasing: buffer[range]), into: &ids)
            }
        }
    }
}
