/// A 32-byte chained block hash (SHA-256) as the engine-core computes it, stored as four words.
///
/// The router never hashes tokens: callers hand it the request's chain of full-block hashes, and the
/// engines report the same hashes in their KV events. Because each hash covers its parent, "block i
/// matches" already implies "blocks 0..<i match". Only the first word feeds `Hasher`: the bytes are
/// uniformly random already, and fewer words keep the index lookups cheap.
public struct BlockHashKey: Hashable, Sendable, CustomStringConvertible {
    public let w0: UInt64
    public let w1: UInt64
    public let w2: UInt64
    public let w3: UInt64

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Packs 32 digest bytes into four little-endian words — the layout of `Scheduling.BlockHash`, so a
    /// key built from its words equals one built from its bytes. Fewer bytes are zero-padded, extra ignored.
    public init(bytes: some Collection<UInt8>) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (index, byte) in bytes.prefix(32).enumerated() { raw[index] = byte }
        }
        self.init(
            w0: UInt64(littleEndian: words.0), w1: UInt64(littleEndian: words.1),
            w2: UInt64(littleEndian: words.2), w3: UInt64(littleEndian: words.3))
    }

    /// The 32 digest bytes (the inverse of `init(bytes:)`).
    public var bytes: [UInt8] {
        var words = (w0.littleEndian, w1.littleEndian, w2.littleEndian, w3.littleEndian)
        return withUnsafeBytes(of: &words) { Array($0) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(w0)
    }

    public var description: String {
        String(w0, radix: 16) + "…"
    }
}
