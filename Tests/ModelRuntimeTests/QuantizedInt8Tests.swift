import CKernels
import ModelFiles
import Testing

@testable import ModelRuntime

/// The int8 tiles (`apus_quant_int8_gemm`, which `Kernels.linear` runs above `quantizedDecodeRows` rows with a vector
/// kernel): every quantized type with every kernel this CPU runs, plain C included, against Double math on the
/// dequantized matrix (the bounds of `QuantizedLinearTests.check`). Row counts cover one partial group of 16, whole
/// groups, an odd number of groups and a partial last one; 37 output columns leave a partial tile of 4 weight rows.
@Suite("Quantized linear, int8 tiles")
struct QuantizedInt8Tests {
    static let quantized = GGMLType.allCases.filter(\.isQuantized)
    static let kernels = Kernels.GEMMKernel.allCases.filter { $0 <= .best }
    static let rows = [9, 13, 32, 64, 255]

    /// X prepared with `kernel` (split: with the residual pass) and multiplied by all of `m` on this thread, into
    /// `rows × ldOut` floats that start as `initial`.
    static func product(
        _ x: [Float], rows: Int, _ m: QuantizedMatrix, ldOut: Int, initial: [Float], accumulate: Bool = false,
        split: Bool = false, kernel: Kernels.GEMMKernel
    ) -> [Float] {
        let (k, flag) = (Int32(m.inDim), Int32(split ? 1 : 0))
        var act = [UInt8](repeating: 0, count: apus_quant_int8_act_bytes(Int32(rows), k, flag))
        var out = initial
        act.withUnsafeMutableBytes { a in
            x.withUnsafeBufferPointer {
                apus_quant_int8_prepare(kernel.rawValue, Int32(rows), k, $0.baseAddress!, m.inDim, flag, a.baseAddress!)
            }
            let status = out.withUnsafeMutableBufferPointer { o in
                apus_quant_int8_gemm(
                    kernel.rawValue, Int32(m.type.rawValue), Int32(rows), k, a.baseAddress!, flag, m.row(0), m.rowBytes,
                    o.baseAddress!, ldOut, 0, Int32(m.outDim), accumulate ? 1 : 0)
            }
            #expect(status == 0)
        }
        return out
    }

    @Test(
        "every type, batch size and kernel matches f32 math; other columns stay; accumulate adds",
        arguments: quantized)
    func matchesDequantized(type: GGMLType) {
        let m = QuantizedLinearTests.matrix(type, outDim: 37, inDim: 512, seed: 31)
        let ldOut = 41
        for rows in Self.rows {
            let x = QuantizedLinearTests.activations(rows: rows, inDim: 512, seed: 3 * rows)
            let initial = MatmulKernelTests.values(rows * ldOut, seed: rows)
            for kernel in Self.kernels {
                for accumulate in [false, true] {
                    let got = Self.product(
                        x, rows: rows, m, ldOut: ldOut, initial: initial, accumulate: accumulate, kernel: kernel)
                    QuantizedLinearTests.check(
                        got, x: x, rows: rows, m, ldOut: ldOut, base: accumulate ? initial : nil, int8Tiles: true)
                    for r in 0..<rows {
                        #expect(got[r * ldOut + 37..<(r + 1) * ldOut] == initial[r * ldOut + 37..<(r + 1) * ldOut])
                    }
                }
            }
        }
    }

    @Test("the residual pass (the LM head's) is within 1/254 of a step, with every kernel", arguments: quantized)
    func residualPass(type: GGMLType) {
        let m = QuantizedLinearTests.matrix(type, outDim: 37, inDim: 512, seed: 8)
        for rows in [9, 40] {
            let x = QuantizedLinearTests.activations(rows: rows, inDim: 512, seed: 5 * rows)
            let initial = [Float](repeating: .nan, count: rows * 37)
            for kernel in Self.kernels {
                let got = Self.product(x, rows: rows, m, ldOut: 37, initial: initial, split: true, kernel: kernel)
                QuantizedLinearTests.check(got, x: x, rows: rows, m, ldOut: 37, precise: true, int8Tiles: true)
            }
        }
    }

    @Test("rows beyond one pass over the weight (several passes of L2-sized activations) give the same bounds")
    func severalPasses() {
        // 2,048 wide: one pass takes 4 groups, so 100 rows take two.
        let m = QuantizedLinearTests.matrix(.q4_K, outDim: 6, inDim: 2048, seed: 13)
        let x = QuantizedLinearTests.activations(rows: 100, inDim: 2048, seed: 14)
        for kernel in Self.kernels {
            let initial = [Float](repeating: .nan, count: 600)
            let got = Self.product(x, rows: 100, m, ldOut: 6, initial: initial, kernel: kernel)
            QuantizedLinearTests.check(got, x: x, rows: 100, m, ldOut: 6, int8Tiles: true)
        }
    }

    @Test("the vector kernels agree with plain C within f32 rounding", arguments: quantized)
    func vectorMatchesPlain(type: GGMLType) {
        let m = QuantizedLinearTests.matrix(type, outDim: 21, inDim: 768, seed: 4)
        let rows = 45
        let x = QuantizedLinearTests.activations(rows: rows, inDim: 768, seed: 12)
        let zero = [Float](repeating: 0, count: rows * 21)
        let plain = Self.product(x, rows: rows, m, ldOut: 21, initial: zero, kernel: .plain)
        let w = m.dequantized().toArray()
        for kernel in Self.kernels where kernel > .plain {
            let got = Self.product(x, rows: rows, m, ldOut: 21, initial: zero, kernel: kernel)
            for r in 0..<rows {
                for j in 0..<21 {
                    let magnitude = (0..<768).reduce(Float(0)) { $0 + abs(x[r * 768 + $1] * w[j * 768 + $1]) }
                    #expect(
                        abs(got[r * 21 + j] - plain[r * 21 + j]) <= 1e-5 * magnitude, "\(type) \(kernel) [\(r), \(j)]")
                }
            }
        }
    }

    @Test("Kernels.linear takes the tiles above decode size, the residual pass included", arguments: [9, 40])
    func throughLinear(rows: Int) {
        for type in [GGMLType.q4_1, .q8_0, .q6_K] {
            let m = QuantizedLinearTests.matrix(type, outDim: 30, inDim: 512, seed: 2)
            let x = QuantizedLinearTests.activations(rows: rows, inDim: 512, seed: rows)
            let initial = [Float](repeating: .nan, count: rows * 30)
            for precise in [false, true] {
                let got = QuantizedLinearTests.run(x, rows: rows, m, ldOut: 30, initial: initial, precise: precise)
                QuantizedLinearTests.check(got, x: x, rows: rows, m, ldOut: 30, precise: precise)
            }
        }
    }

    @Test("prepared activations are the same bytes with every kernel, split or not", arguments: [false, true])
    func prepareMatchesPlain(split: Bool) {
        let (rows, k) = (19, 256)
        let x = QuantizedLinearTests.activations(rows: rows, inDim: k, seed: 77)
        let bytes = apus_quant_int8_act_bytes(Int32(rows), Int32(k), split ? 1 : 0)
        let prepared = Self.kernels.map { kernel in
            var act = [UInt8](repeating: 0xA5, count: bytes)
            act.withUnsafeMutableBytes { a in
                x.withUnsafeBufferPointer {
                    apus_quant_int8_prepare(
                        kernel.rawValue, Int32(rows), Int32(k), $0.baseAddress!, k, split ? 1 : 0, a.baseAddress!)
                }
            }
            return act
        }
        for (kernel, act) in zip(Self.kernels, prepared) { #expect(act == prepared[0], "\(kernel)") }
    }

    @Test("a float weight is refused")
    func floatTypeRefused() {
        let act = [UInt8](repeating: 0, count: Int(apus_quant_int8_act_bytes(16, 32, 0)))
        var out = [Float](repeating: 0, count: 16)
        let status = act.withUnsafeBytes { a in
            out.withUnsafeMutableBufferPointer { o in
                apus_quant_int8_gemm(
                    0, Int32(GGMLType.f16.rawValue), 16, 32, a.baseAddress!, 0, a.baseAddress!, 64, o.baseAddress!, 1,
                    0, 1, 0)
            }
        }
        #expect(status == -1)
    }
}
