import ServingCore

/// A counter-based random source: every number is a pure function of `(key, counter)`.
///
/// A seeded request keys it by `(seed, output position)` and draws one number per token index,
/// so its sample never depends on which other rows share the batch, on chunking, or on
/// preemption (docs/architecture.md §5.4). Keys come from SplitMix64's mixer; the per-token numbers
/// from MurmurHash3's 32-bit finaliser over a Weyl sequence, which vectorises eight lanes at a time.
struct CounterRandom: Sendable, Equatable {
    let key: UInt64
    private let k0: UInt32
    private let k1: UInt32

    init(key: UInt64) {
        self.key = key
        self.k0 = UInt32(truncatingIfNeeded: key)
        self.k1 = UInt32(truncatingIfNeeded: key >> 32)
    }

    /// The stream of a seeded request at one output position.
    init(seed: UInt64, position: Int) {
        let seedKey = Self.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        self.init(key: Self.mix(seedKey ^ (UInt64(truncatingIfNeeded: position) &* 0xD1B5_4A32_D192_ED03)))
    }

    /// A stream under a key derived from this one's, for numbers that must not be any of this stream's: the
    /// rejection sampler's accept test beside the race of the same position.
    var acceptance: CounterRandom {
        CounterRandom(key: Self.mix(key ^ 0xA076_1D64_78BD_642F))
    }

    /// 32 random bits for `counter`.
    @inline(__always)
    func bits(_ counter: Int) -> UInt32 {
        var h = (UInt32(truncatingIfNeeded: counter) &* 0x9E37_79B1 ^ k0) &+ k1
        h ^= h >> 16
        h = h &* 0x85EB_CA6B
        h ^= h >> 13
        h = h &* 0xC2B2_AE35
        return h ^ (h >> 16)
    }

    /// A uniform number in the open interval (0, 1) for `counter` (never 0, never 1).
    @inline(__always)
    func uniform(_ counter: Int) -> Float {
        Self.uniform(bits: bits(counter))
    }

    /// The top 23 bits plus ½, scaled by 2⁻²³: in [2⁻²⁴, 1 − 2⁻²⁴], every value exact in a Float.
    ///
    /// NOTE: 24 bits + ½ would need 25 significant bits; the top value would round to exactly 1,
    /// giving `q = −ln u = 0` and a token that wins the race whatever its probability.
    @inline(__always)
    static func uniform(bits: UInt32) -> Float {
        (Float(bits >> 9) + 0.5) * (1.0 / 8_388_608.0)
    }

    /// `uniform(first + j)` for j in 0..<8, computed lane-wise (identical to the scalar values).
    @inline(__always)
    func uniform8(from first: Int) -> SIMD8<Float> {
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7) &+ UInt32(truncatingIfNeeded: first)
        var h = (lanes &* 0x9E37_79B1 ^ k0) &+ k1
        h ^= h &>> 16
        h = h &* 0x85EB_CA6B
        h ^= h &>> 13
        h = h &* 0xC2B2_AE35
        h ^= h &>> 16
        let top23 = SIMD8<Int32>(truncatingIfNeeded: h &>> 9)
        return (SIMD8<Float>(top23) + 0.5) * (1.0 / 8_388_608.0)
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        SplitMix64.finalize(x &+ 0x9E37_79B9_7F4A_7C15)
    }
}

extension SplitMix64 {
    /// A fresh counter stream for one unseeded row (the sampler's own generator hands each row a new key).
    mutating func nextStream() -> CounterRandom {
        CounterRandom(key: next())
    }
}
