import ModelFiles
import Testing

@testable import ModelRuntime

/// `Kernels.linear` on a `QuantizedMatrix`, against Double math on the dequantized matrix.
///
/// Tolerances. Where X stays f32 (the float types; quantized types above `quantizedDecodeRows` rows that do not take
/// the int8 tiles, which dequantize W exactly and run the f32 GEMM) an output may differ by 1e-5 · Σ|x·w|: f32 sums
/// of 512 products round far less. Where X is quantized to int8 (blocks of the weight's block size up to
/// `quantizedDecodeRows` rows, of 32 in the int8 tiles above), each x moves by at most half a step,
/// amax(its block) / 254, so an output may differ by Σ |w| · amax / 254 (+ the f32 term); on random data the errors
/// are about a tenth of that, and their RMS over all outputs must also stay within twice what uniform rounding noise
/// gives, √(Σ w² · step² / 12). A swapped nibble, scale or min moves outputs by a sizeable part of Σ|x·w| and fails
/// both. With the residual pass (`preciseActivations`) the step is that of the residual's quantization, at most
/// 1/254 of the first one.
@Suite("Quantized linear")
struct QuantizedLinearTests {
    static let types = GGMLType.allCases

    static func activations(rows: Int, inDim: Int, seed: Int) -> [Float] {
        MatmulKernelTests.values(rows * inDim, seed: seed).map { $0 * 2 }
    }

    static func matrix(_ type: GGMLType, outDim: Int, inDim: Int, seed: UInt64) -> QuantizedMatrix {
        QuantizedMatrix.dummy(type: type, outDim: outDim, inDim: inDim, seed: seed)
    }

    /// Runs the kernel into `rows × ldOut` floats that start as `initial`.
    static func run(
        _ x: [Float], rows: Int, _ m: QuantizedMatrix, ldOut: Int, initial: [Float], accumulate: Bool = false,
        precise: Bool = false, kernel: Kernels.GEMMKernel = .chosen
    ) -> [Float] {
        var out = initial
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                Kernels.linear(
                    xs.baseAddress!, rows: rows, inDim: m.inDim, weight: m, out: o.baseAddress!,
                    ldOut: ldOut, accumulate: accumulate, preciseActivations: precise, kernel: kernel)
            }
        }
        return out
    }

    /// The activation block of what `Kernels.linear` runs for `rows` rows of a weight of `type` with `kernel`, or
    /// of the int8 tiles called directly (nil: X stays f32).
    static func activationBlock(_ type: GGMLType, rows: Int, kernel: Kernels.GEMMKernel, int8Tiles: Bool) -> Int? {
        guard type.isQuantized else { return nil }
        if int8Tiles || Kernels.usesInt8Tiles(rows: rows, type: type, kernel: kernel) { return 32 }
        return rows <= Kernels.quantizedDecodeRows ? type.blockSize : nil
    }

    /// Checks `got` (rows × ldOut, columns 0..<outDim) against the exact products, with the bounds above.
    static func check(
        _ got: [Float], x: [Float], rows: Int, _ m: QuantizedMatrix, ldOut: Int, base: [Float]? = nil,
        precise: Bool = false, kernel: Kernels.GEMMKernel = .chosen, int8Tiles: Bool = false
    ) {
        let w = m.dequantized().toArray()
        let (k, n) = (m.inDim, m.outDim)
        let block = activationBlock(m.type, rows: rows, kernel: kernel, int8Tiles: int8Tiles)
        let int8 = block != nil
        var (worst, sumSquares, noise) = (0.0, 0.0, 0.0)
        for r in 0..<rows {
            let xr = x[r * k..<(r + 1) * k].map(Double.init)
            let steps = (0..<k).map { i in
                guard let block else { return 0.0 }
                let step = xr[i / block * block..<(i / block + 1) * block].map(abs).max()! / 127
                return precise ? step / 254 : step
            }
            for j in 0..<n {
                var (exact, magnitude, bound, variance) = (Double(base?[r * ldOut + j] ?? 0), 0.0, 0.0, 0.0)
                for i in 0..<k {
                    let wi = Double(w[j * k + i])
                    exact += xr[i] * wi
                    magnitude += abs(xr[i] * wi)
                    bound += abs(wi) * steps[i] / 2
                    variance += wi * wi * steps[i] * steps[i] / 12
                }
                let error = abs(Double(got[r * ldOut + j]) - exact)
                worst = max(worst, error / (bound + 1e-5 * magnitude + 1e-30))
                sumSquares += error * error
                noise += variance
            }
        }
        #expect(worst <= 1, "\(m.type) rows \(rows): an output is \(worst)× its bound")
        if int8 {
            #expect(
                sumSquares <= 4 * noise,
                "\(m.type) rows \(rows): RMS error \((sumSquares / noise).squareRoot())× rounding noise")
        }
    }

    /// Plain C runs the f32 GEMM above decode size, the vector kernels the int8 tiles.
    @Test("every type, batch size and path matches f32 math on the dequantized weight", arguments: types)
    func matchesDequantized(type: GGMLType) {
        let m = Self.matrix(type, outDim: 70, inDim: 512, seed: 11)
        for rows in [1, 3, 8, 33, 130] {
            let x = Self.activations(rows: rows, inDim: 512, seed: rows)
            for kernel in [Kernels.GEMMKernel.plain, .chosen] {
                let initial = [Float](repeating: .nan, count: rows * 70)
                let got = Self.run(x, rows: rows, m, ldOut: 70, initial: initial, kernel: kernel)
                Self.check(got, x: x, rows: rows, m, ldOut: 70, kernel: kernel)
            }
        }
    }

    @Test(
        "a weight large enough for every core gives the same products",
        arguments: [GGMLType.q4_1, .q8_0, .q4_K, .q6_K, .f16])
    func parallelParts(type: GGMLType) {
        let m = Self.matrix(type, outDim: 300, inDim: 1024, seed: 5)
        for rows in [1, 4, 40] {
            let x = Self.activations(rows: rows, inDim: 1024, seed: 100 + rows)
            let got = Self.run(x, rows: rows, m, ldOut: 300, initial: [Float](repeating: .nan, count: rows * 300))
            Self.check(got, x: x, rows: rows, m, ldOut: 300)
        }
    }

    @Test(
        "ldOut and accumulate: only the weight's columns change, by the product when accumulating",
        arguments: [GGMLType.q4_0, .q5_1, .q5_K, .bf16])
    func stridedAccumulate(type: GGMLType) {
        let m = Self.matrix(type, outDim: 40, inDim: 256, seed: 2)
        let ldOut = 47
        for rows in [2, 20] {
            let x = Self.activations(rows: rows, inDim: 256, seed: 7 * rows)
            let initial = MatmulKernelTests.values(rows * ldOut, seed: 9)
            for accumulate in [false, true] {
                let got = Self.run(x, rows: rows, m, ldOut: ldOut, initial: initial, accumulate: accumulate)
                Self.check(got, x: x, rows: rows, m, ldOut: ldOut, base: accumulate ? initial : nil)
                for r in 0..<rows {
                    #expect(got[r * ldOut + 40..<(r + 1) * ldOut] == initial[r * ldOut + 40..<(r + 1) * ldOut])
                }
            }
        }
    }

    @Test("q, k and v of different types fuse into column ranges of one output")
    func fusedProjections() {
        let (q, k, v) = (
            Self.matrix(.q4_K, outDim: 64, inDim: 256, seed: 1),
            Self.matrix(.q4_K, outDim: 32, inDim: 256, seed: 2),
            Self.matrix(.q6_K, outDim: 32, inDim: 256, seed: 3)
        )
        let x = Self.activations(rows: 3, inDim: 256, seed: 4)
        var fused = [Float](repeating: .nan, count: 3 * 128)
        x.withUnsafeBufferPointer { xs in
            fused.withUnsafeMutableBufferPointer { o in
                for (m, column) in [(q, 0), (k, 64), (v, 96)] {
                    Kernels.linear(
                        xs.baseAddress!, rows: 3, inDim: 256, weight: m, out: o.baseAddress! + column, ldOut: 128)
                }
            }
        }
        for (m, column) in [(q, 0), (k, 64), (v, 96)] {
            let alone = Self.run(x, rows: 3, m, ldOut: m.outDim, initial: [Float](repeating: 0, count: 3 * m.outDim))
            for r in 0..<3 {
                #expect(
                    Array(fused[r * 128 + column..<r * 128 + column + m.outDim])
                        == Array(alone[r * m.outDim..<(r + 1) * m.outDim]))
            }
        }
    }

    /// Where a vector kernel takes the int8 tiles and plain C the f32 GEMM, `QuantizedInt8Tests` compares the tiles.
    @Test("the vector kernels agree with plain C", arguments: types)
    func vectorMatchesPlain(type: GGMLType) {
        let m = Self.matrix(type, outDim: 50, inDim: 512, seed: 21)
        for rows in [3, 33] {
            let x = Self.activations(rows: rows, inDim: 512, seed: 50 + rows)
            let zero = [Float](repeating: 0, count: rows * 50)
            let plain = Self.run(x, rows: rows, m, ldOut: 50, initial: zero, kernel: .plain)
            let w = m.dequantized().toArray()
            for kernel in Kernels.GEMMKernel.allCases where kernel > .plain && kernel <= .best
                && Kernels.usesInt8Tiles(rows: rows, type: type, kernel: kernel)
                    == Kernels.usesInt8Tiles(rows: rows, type: type, kernel: .plain)
            {
                let got = Self.run(x, rows: rows, m, ldOut: 50, initial: zero, kernel: kernel)
                for r in 0..<rows {
                    for j in 0..<50 {
                        let magnitude = (0..<512).reduce(Float(0)) { $0 + abs(x[r * 512 + $1] * w[j * 512 + $1]) }
                        #expect(
                            abs(got[r * 50 + j] - plain[r * 50 + j]) <= 1e-5 * magnitude,
                            "\(type) \(kernel) [\(r), \(j)]")
                    }
                }
            }
        }
    }
}
