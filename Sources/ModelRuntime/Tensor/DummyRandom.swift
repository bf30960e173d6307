import ServingCore

/// Dummy weights come from SplitMix64, so `--load-format dummy` weights are bit-identical on every machine (unlike
/// `SystemRandomNumberGenerator`).
extension SplitMix64 {
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
    public static func tensorSeed(_ base: UInt64, name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        var mix = SplitMix64(seed: base ^ h)
        return mix.next()
    }
}
