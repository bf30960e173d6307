import COpenSSL
import ServingCore

/// SHA-256 fetched once: `EVP_sha256()` makes OpenSSL 3 look the algorithm up (under a lock) on every digest.
nonisolated(unsafe) private let sha256Digest: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

/// The SHA-256 digest that names one full KV block and, through the chain, its whole prefix (docs/scheduling.md §10).
///
/// Stored as four little-endian words so that hashing and comparing it is cheap on the scheduler's hot path;
/// `bytes` gives back the 32 digest bytes in their original order (what KV events and other processes see).
public struct BlockHash: Sendable, Hashable, CustomStringConvertible {
    public var w0: UInt64
    public var w1: UInt64
    public var w2: UInt64
    public var w3: UInt64

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Builds a hash from 32 digest bytes.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 32, "a block hash is 32 bytes")
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        self.init(
            w0: UInt64(littleEndian: words.0), w1: UInt64(littleEndian: words.1),
            w2: UInt64(littleEndian: words.2), w3: UInt64(littleEndian: words.3))
    }

    /// The 32 digest bytes, in digest order.
    public var bytes: [UInt8] {
        var words = (w0.littleEndian, w1.littleEndian, w2.littleEndian, w3.littleEndian)
        return withUnsafeBytes(of: &words) { Array($0) }
    }

    /// Lower-case hex of `bytes`.
    public var hex: String {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(64)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return s
    }

    public var description: String { hex }

    // NOTE: the words are already uniformly distributed digest bits, so one word is enough for `Hasher`.
    public func hash(into hasher: inout Hasher) { hasher.combine(w0) }

    /// SHA-256 of `data` through the system OpenSSL (`EVP_Digest` with `EVP_sha256()`).
    static func sha256(_ data: UnsafeRawBufferPointer) -> BlockHash {
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var size: UInt32 = 0
        let ok = withUnsafeMutableBytes(of: &digest) { out in
            EVP_Digest(
                data.baseAddress, data.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &size,
                sha256Digest, nil)
        }
        precondition(ok == 1 && size == 32, "EVP_Digest(sha256) failed")
        return BlockHash(
            w0: UInt64(littleEndian: digest.0), w1: UInt64(littleEndian: digest.1),
            w2: UInt64(littleEndian: digest.2), w3: UInt64(littleEndian: digest.3))
    }
}
