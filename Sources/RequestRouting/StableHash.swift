/// A process-independent 64-bit string hash (FNV-1a, then a 64-bit finalizer for avalanche).
///
/// Swift's `Hasher` is seeded per process; session affinity must give the same engine on every router
/// replica and across restarts, so it hashes with this instead.
public enum StableHash {
    public static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
        return mix(value)
    }

    /// The MurmurHash3 64-bit finalizer.
    public static func mix(_ input: UInt64) -> UInt64 {
        var z = input
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return z ^ (z >> 33)
    }
}
