import Foundation
import ModelFiles
import ServingCore

extension QuantizedMatrix {
    /// A weight of random blocks for tests and benchmarks: random quant bytes, each f16 scale (d, dmin, m) a finite
    /// value of a realistic size (log-uniform within the type's range below) with a random sign; the float types
    /// uniform in ±0.25. Random f16 bits would give infinities, NaN and subnormals, which no checkpoint has.
    public static func dummy(type: GGMLType, outDim: Int, inDim: Int, seed: UInt64) -> QuantizedMatrix {
        var rng = SplitMix64(seed: seed)
        guard let rowBytes = type.rowBytes(count: inDim) else {
            preconditionFailure("a \(type) row of \(inDim) weights is not a whole number of \(type.blockSize)-blocks")
        }
        let bytes = AlignedBytes(count: outDim * rowBytes)
        let p = bytes.pointer
        switch type {
        case .f32:
            for i in 0..<outDim * inDim { p.storeBytes(of: rng.nextSymmetricUnit() * 0.25, toByteOffset: 4 * i, as: Float.self) }
        case .f16, .bf16:
            for i in 0..<outDim * inDim {
                let v = rng.nextSymmetricUnit() * 0.25
                let bits = type == .f16 ? Float16(v).bitPattern : UInt16(v.bitPattern >> 16)
                p.storeBytes(of: bits.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        default:
            for i in 0..<outDim * rowBytes { p.storeBytes(of: UInt8(truncatingIfNeeded: rng.next()), toByteOffset: i, as: UInt8.self) }
            for block in stride(from: 0, to: outDim * rowBytes, by: type.blockBytes) {
                for field in scaleFields(type) {
                    let unit = Double(rng.next() >> 11) / Double(1 << 53)
                    let magnitude = exp(log(field.low) + unit * (log(field.high) - log(field.low)))
                    let value = Float16(rng.next() & 1 == 0 ? magnitude : -magnitude).bitPattern
                    p.storeBytes(of: value.littleEndian, toByteOffset: block + field.offset, as: UInt16.self)
                }
            }
        }
        return QuantizedMatrix(type: type, outDim: outDim, inDim: inDim, bytes: p, owner: bytes)
    }

    /// Byte offsets of a block's f16 scales, and the range of their magnitudes.
    static func scaleFields(_ type: GGMLType) -> [(offset: Int, low: Double, high: Double)] {
        switch type {
        case .f32, .f16, .bf16: []
        case .q4_0, .q5_0: [(0, 0.01, 0.05)]
        case .q4_1, .q5_1: [(0, 0.01, 0.05), (2, 0.05, 0.2)]
        case .q8_0: [(0, 0.001, 0.005)]
        case .q4_K, .q5_K: [(0, 0.001, 0.005), (2, 0.001, 0.005)]
        case .q6_K: [(208, 0.001, 0.005)]
        }
    }
}
