/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast, portable generator whose stream depends only on the
/// seed. The one copy for every seeded choice in Apus: routing decisions, dummy weights, the sampler's per-row
/// keys, benchmark workloads and tests.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.finalize(state)
    }

    /// The output function: `next()` is `finalize(seed + k · γ)` for the k-th call.
    public static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
