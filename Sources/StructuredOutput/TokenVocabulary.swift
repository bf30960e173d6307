/// A tokenizer's vocabulary as raw bytes, with a token trie shared by every grammar compiled against it.
///
/// Built once per model (the engine-core hands in each token id's bytes: byte-level BPE already decoded, SentencePiece
/// `▁` as a space and `<0xAB>` as one byte). Special tokens are never allowed by a grammar; EOS tokens only where the
/// grammar can end. Tokens with no bytes are never allowed.
public final class TokenVocabulary: Sendable {
    /// The mask length in tokens (may exceed `tokenBytes.count` when the model pads its vocabulary).
    public let size: Int
    public let eosTokenIDs: [Int]
    public let specialTokenIDs: Set<Int>
    let trie: TokenTrie
    private let byteOffsets: [Int32]
    private let bytes: [UInt8]

    /// Words in one packed mask: bit `id % 32` of word `id / 32` is token `id`.
    public var maskWordCount: Int { (size + 31) / 32 }

    public init(tokenBytes: [[UInt8]], eosTokenIDs: [Int], specialTokenIDs: Set<Int> = [], size: Int? = nil) {
        precondition(!eosTokenIDs.isEmpty, "a vocabulary needs an EOS token")
        self.size = max(size ?? tokenBytes.count, tokenBytes.count)
        self.eosTokenIDs = eosTokenIDs
        self.specialTokenIDs = specialTokenIDs.union(eosTokenIDs)
        var offsets: [Int32] = [0]
        var flat: [UInt8] = []
        for token in tokenBytes {
            flat.append(contentsOf: token)
            offsets.append(Int32(flat.count))
        }
        byteOffsets = offsets
        bytes = flat
        let special = self.specialTokenIDs
        trie = TokenTrie(
            tokens: tokenBytes.enumerated().compactMap { id, token in
                special.contains(id) || token.isEmpty ? nil : (id, token)
            })
    }

    /// A token's bytes as given (empty for ids out of range).
    public func bytes(of token: Int) -> [UInt8] {
        guard token >= 0, token < byteOffsets.count - 1 else { return [] }
        return Array(bytes[Int(byteOffsets[token])..<Int(byteOffsets[token + 1])])
    }

    /// The bytes of a token that a grammar can allow; nil for special, EOS, empty and out-of-range ids.
    func textBytes(of token: Int) -> ArraySlice<UInt8>? {
        guard token >= 0, token < byteOffsets.count - 1, !specialTokenIDs.contains(token) else { return nil }
        let range = Int(byteOffsets[token])..<Int(byteOffsets[token + 1])
        return range.isEmpty ? nil : bytes[range]
    }
}
