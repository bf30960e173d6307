import ServingCore

extension GGUFVocabulary {
    /// Token string → id; where a string appears twice the last id wins, as in llama.cpp's `token_to_id`.
    var vocab: [String: TokenID] {
        var vocab: [String: TokenID] = [:]
        vocab.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() { vocab[token] = TokenID(id) }
        return vocab
    }

    /// Token bytes → id, for the merge tables. NOTE: not `String` keys, which compare by canonical equivalence and
    /// would make "ά" (U+03AC) and "ά" (U+1F71), both Llama 2 tokens, one.
    var exactVocab: [[UInt8]: TokenID] {
        var vocab: [[UInt8]: TokenID] = [:]
        vocab.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() { vocab[Array(token.utf8)] = TokenID(id) }
        return vocab
    }

    /// The merge table of a gpt2 vocabulary (`pairKey` → `rank << 32 | merged id`); a repeated pair keeps its
    /// first rank, as llama.cpp's `bpe_ranks.emplace` does.
    func bpeMerges() throws -> [UInt64: UInt64] {
        let vocab = exactVocab
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            let (l, r) = (Array(left.utf8), Array(right.utf8))
            guard let a = vocab[l], let b = vocab[r], let merged = vocab[l + r] else {
                let missing = [left, right, left + right].first { vocab[Array($0.utf8)] == nil }!
                throw TokenizerError.invalidGGUF(
                    key: Self.mergesKey, reason: "entry \(rank) \"\(left) \(right)\" names \"\(missing)\", not a token")
            }
            let key = BPEModel.pairKey(a, b)
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged)) }
        }
        return table
    }

    /// SentencePiece scores as a merge table, so the BPE model reproduces llama.cpp's `llm_tokenizer_spm`.
    ///
    /// llama.cpp merges, again and again, the adjacent pair whose concatenation is a token of highest score (the
    /// leftmost among equal scores). That is BPE where every split `a + b` of a token `t` into two tokens is a
    /// merge to `t`, ranked by `t`'s score: equal scores share a rank, so the leftmost pair wins as in llama.cpp.
    /// (It differs only if a token contains a character that is not itself a token: llama.cpp can still merge it,
    /// here it has gone to byte fallback. SentencePiece vocabularies keep every character as a token.)
    func scoreMerges() -> [UInt64: UInt64] {
        let vocab = exactVocab
        let distinct = Set(scores).sorted(by: >)
        let rankOfScore = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, UInt64($0)) })
        var table: [UInt64: UInt64] = [:]
        for (bytes, id) in vocab {
            let rank = rankOfScore[scores[Int(id)]] ?? UInt64(distinct.count)  // NaN: last
            // Every cut between two UTF-8 characters.
            for cut in 1..<max(bytes.count, 1) where bytes[cut] & 0xC0 != 0x80 {
                guard let a = vocab[Array(bytes[..<cut])], let b = vocab[Array(bytes[cut...])] else { continue }
                table[BPEModel.pairKey(a, b)] = rank << 32 | UInt64(UInt32(bitPattern: id))
            }
        }
        return table
    }
}
