/// `exp` for the sampler's vocabulary-wide loops, on SIMD lanes and without libm calls.
///
/// Range reduction `x = n·ln2 + r`, |r| ≤ ln2/2, a degree-6 Taylor polynomial for `e^r`
/// (relative error below 2·10⁻⁷, about two ulp), then `2^n` put into the exponent bits. Inputs below
/// −87 (including −inf, a masked token) give exactly 0; inputs above 88 are clamped. Only add,
/// multiply and compare are used, so it vectorises on any x86-64 or arm64 target.
enum FastExp {
    private static let log2e: Float = 1.442_695_04
    private static let ln2Hi: Float = 0.693_145_75
    private static let ln2Lo: Float = 1.428_606_8e-6
    /// 1.5 · 2²³: adding it rounds a float to the nearest integer in the low mantissa bits.
    private static let roundingMagic: Float = 12_582_912
    private static let lowest: Float = -87
    private static let highest: Float = 88

    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let low = SIMD8<Float>(repeating: lowest)
        let high = SIMD8<Float>(repeating: highest)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = clamped - n * ln2Hi - n * ln2Lo
        var p = SIMD8<Float>(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // The low mantissa bits of `shifted` hold n + 0x40_0000; rebuild 2^n from them.
        let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127
        let scale = unsafeBitCast(bits &<< 23, to: SIMD8<Float>.self)
        return (p * scale).replacing(with: 0, where: x .< lowest)
    }

    @inline(__always)
    static func exp(_ x: Float) -> Float {
        guard x >= lowest else { return 0 }
        let clamped = min(x, highest)
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = clamped - n * ln2Hi - n * ln2Lo
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let bits = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127
        return p * Float(bitPattern: UInt32(bitPattern: bits &<< 23))
    }

    /// `Σ exp(row[i] − shift)`, eight partial sums wide.
    static func sumOfExp(_ row: UnsafeBufferPointer<Float>, minus shift: Float) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        if let base = row.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= row.count {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                acc += exp(v - shift)
                i += 8
            }
        }
        var sum = acc.sum()
        while i < row.count {
            sum += exp(row[i] - shift)
            i += 1
        }
        return sum
    }

    /// Writes `exp(row[i] − shift)` into `out` and returns their sum.
    static func exp(_ row: UnsafeBufferPointer<Float>, minus shift: Float, into out: UnsafeMutableBufferPointer<Float>) -> Float {
        precondition(out.count >= row.count, "output shorter than input")
        var acc = SIMD8<Float>()
        var i = 0
        if let base = row.baseAddress, let outBase = out.baseAddress {
            let raw = UnsafeRawPointer(base)
            let rawOut = UnsafeMutableRawPointer(outBase)
            while i + 8 <= row.count {
                let e = exp(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - shift)
                rawOut.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
                acc += e
                i += 8
            }
        }
        var sum = acc.sum()
        while i < row.count {
            out[i] = exp(row[i] - shift)
            sum += out[i]
            i += 1
        }
        return sum
    }
}
