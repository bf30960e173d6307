import ModelFiles

extension QuantizedMatrix {
    /// `t` (`[outDim, inDim]` f32) converted to F16 or BF16, rounding to nearest even (as PyTorch's `.to()`).
    static func converting(_ t: Tensor, to type: GGMLType) -> QuantizedMatrix {
        precondition(t.shape.count == 2, "a linear weight is 2-D, not \(t.shape)")
        precondition(type == .f16 || type == .bf16, "only F16 and BF16 are conversion targets, not \(type)")
        let n = t.count
        var bits = [UInt16](repeating: 0, count: n)
        let src = t.pointer
        switch type {
        case .f16:
            for i in 0..<n { bits[i] = Float16(src[i]).bitPattern }
        default:
            for i in 0..<n { bits[i] = bfloat16Bits(src[i]) }
        }
        return bits.withUnsafeBytes { raw in
            QuantizedMatrix(type: type, outDim: t.shape[0], inDim: t.shape[1], copying: raw.baseAddress!)
        }
    }

    /// The same weight in another 16-bit type (F16 ↔ BF16), through f32.
    func converted(to target: GGMLType) -> QuantizedMatrix {
        target == type ? self : .converting(dequantized(), to: target)
    }
}

/// f32 → bf16 with round-to-nearest-even; NaN stays a (quiet) NaN.
@inline(__always)
func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x40 }
    let rounding = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ rounding) >> 16)
}
