/// SplitMix64 (as `DummyRandom`): a tiny, portable PRNG whose stream depends only on the seed, so `--load-format dummy`
/// weights are bit-identical on every machine (unlike `SystemRandomNumberGenerator`).
public struct DummyRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float uniform in [-1, 1) built from the top 24 bits (exact in f32, so identical everywhere).
    public mutating func nextSymmetricUnit() -> Float {
        Float(next() >> 40) * (1.0 / 8_388_608.0) - 1.0
    }

    /// Fills `count` floats uniform in [-a, a) with standard deviation `std` (a = std·√3).
    public mutating func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int, std: Float) {
        let a = std * 1.732_050_8
        for i in 0..<count { out[i] = nextSymmetricUnit() * a }
    }

    /// A seed for tensor `name` derived from a model seed, so each tensor's stream is independent of load order.
    public static func seed(_ base: UInt64, name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        var mix = DummyRandom(seed: base ^ h)
        return mix.next()
    }
}
