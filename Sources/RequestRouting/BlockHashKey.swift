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

    /// Packs 32 bytes big-endian into four words; fewer bytes are zero-padded, extra bytes are ignored.
    public init(bytes: some Collection<UInt8>) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var index = 0
        for byte in bytes.prefix(32) {
            let shift = UInt64(56 - 8 * (index % 8))
            let value = UInt64(byte) << shift
            switch index / 8 {
            case 0: words.0 |= value
            case 1: words.1 |= value
            case 2: words.2 |= value
            default: words.3 |= value
            }
            index += 1
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    /// The 32 bytes, big-endian per word (the inverse of `init(bytes:)`).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(w0)
    }

    public var description: String {
        String(w0, radix: 16) + "…"
    }
}
