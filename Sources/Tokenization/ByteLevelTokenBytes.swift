import ServingCore

/// The raw bytes of every id for a tokenizer whose decoder is plain `ByteLevel`, so decoding is a byte copy.
///
/// Same result as the ByteLevel decoder: a token whose characters are all in the byte-level alphabet stands for
/// those bytes, any other token (e.g. an added token with a space) for its own UTF-8.
struct ByteLevelTokenBytes: Sendable {
    private let bytes: [UInt8]
    /// `offsets[id]..<offsets[id + 1]` are the bytes of `id`.
    private let offsets: [Int32]

    init(count: Int, token: (TokenID) -> String?) {
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(count + 1)
        for id in 0..<count {
            if let token = token(TokenID(id)) {
                bytes.append(contentsOf: ByteLevelAlphabet.decode(token) ?? Array(token.utf8))
            }
            offsets.append(Int32(bytes.count))
        }
        self.bytes = bytes
        self.offsets = offsets
    }

    /// Appends the bytes of `id` (nothing for an unknown id).
    @inline(__always)
    func append(_ id: TokenID, to out: inout [UInt8]) {
        guard id >= 0, Int(id) + 1 < offsets.count else { return }
        out.append(contentsOf: bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])])
    }
}
