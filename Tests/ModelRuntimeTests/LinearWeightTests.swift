import ModelFiles
import Testing

@testable import ModelRuntime

@Suite("Linear weights of several parts")
struct LinearWeightTests {
    /// q, k, v as a Q4_K_M file mixes them: different types stacked in one weight, plus an f32 part.
    static func mixed(inDim: Int) -> LinearWeight {
        LinearWeight(parts: [
            .stored(.dummy(type: .q4_1, outDim: 96, inDim: inDim, seed: 1)),
            .stored(.dummy(type: .q8_0, outDim: 40, inDim: inDim, seed: 2)),
            .stored(.dummy(type: .f16, outDim: 24, inDim: inDim, seed: 3)),
        ])
    }

    static func input(rows: Int, inDim: Int) -> [Float] {
        (0..<rows * inDim).map { Float(($0 * 7919) % 211) / 105.5 - 1 }
    }

    /// Every part alone, into its columns: what the stacked product must reproduce bit for bit (one loop over all
    /// rows runs the same row kernels on the same activations).
    static func partByPart(_ w: LinearWeight, _ x: [Float], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * w.outDim)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                var column = 0
                for part in w.parts {
                    guard case .stored(let m) = part else { continue }
                    Kernels.linear(
                        xs.baseAddress!, rows: rows, inDim: w.inDim, weight: m, out: o.baseAddress! + column,
                        ldOut: w.outDim)
                    column += m.outDim
                }
            }
        }
        return out
    }

    @Test("stacked stored parts in one decode loop give each part's own products", arguments: [1, 3, 8])
    func stackedDecodeMatchesParts(rows: Int) {
        let w = Self.mixed(inDim: 256)
        let x = Self.input(rows: rows, inDim: 256)
        var out = [Float](repeating: .nan, count: rows * w.outDim)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                Kernels.linear(xs.baseAddress!, rows: rows, inDim: 256, weight: w, out: o.baseAddress!)
            }
        }
        #expect(out.map(\.bitPattern) == Self.partByPart(w, x, rows: rows).map(\.bitPattern))
    }

    @Test("stacked quantized parts in one int8 loop give each part's own products", arguments: [9, 33])
    func stackedInt8MatchesParts(rows: Int) {
        let w = LinearWeight(parts: [
            .stored(.dummy(type: .q4_1, outDim: 70, inDim: 256, seed: 1)),
            .stored(.dummy(type: .q8_0, outDim: 21, inDim: 256, seed: 2)),
            .stored(.dummy(type: .q6_K, outDim: 19, inDim: 256, seed: 3)),
        ])
        let x = Self.input(rows: rows, inDim: 256)
        var out = [Float](repeating: .nan, count: rows * w.outDim)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                Kernels.linear(xs.baseAddress!, rows: rows, inDim: 256, weight: w, out: o.baseAddress!)
            }
        }
        #expect(out.map(\.bitPattern) == Self.partByPart(w, x, rows: rows).map(\.bitPattern))
    }

    @Test("bias and accumulate apply to every column of every part", arguments: [2, 20])
    func biasAndAccumulate(rows: Int) {
        let w = Self.mixed(inDim: 64)
        let x = Self.input(rows: rows, inDim: 64)
        let bias = Tensor(shape: [w.outDim], values: (0..<w.outDim).map { Float($0) })
        let plain = x.withUnsafeBufferPointer { xs in
            var out = [Float](repeating: 0, count: rows * w.outDim)
            out.withUnsafeMutableBufferPointer { o in
                Kernels.linear(xs.baseAddress!, rows: rows, inDim: 64, weight: w, out: o.baseAddress!)
            }
            return out
        }
        var out = [Float](repeating: 1, count: rows * w.outDim)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                Kernels.linear(xs.baseAddress!, rows: rows, inDim: 64, weight: w, bias: bias, out: o.baseAddress!,
                               accumulate: true)
            }
        }
        for r in 0..<rows {
            for j in 0..<w.outDim {
                let expected = plain[r * w.outDim + j] + Float(j) + 1
                #expect(abs(out[r * w.outDim + j] - expected) <= 1e-4 * max(1, abs(expected)), "row \(r) column \(j)")
            }
        }
    }

    @Test func sizes() {
        let w = Self.mixed(inDim: 64)
        #expect(w.outDim == 160 && w.inDim == 64)
        #expect(w.byteCount == 96 * 2 * 20 + 40 * 2 * 34 + 24 * 64 * 2)
        #expect(w.toArray().count == 160 * 64)
    }

    /// Largest |product − f32 math on the dequantized weight| over all outputs, relative to Σ|x·w| of its output.
    static func worstError(_ w: QuantizedMatrix, rows: Int, precise: Bool) -> Double {
        let x = input(rows: rows, inDim: w.inDim)
        let dense = w.dequantized().toArray()
        var out = [Float](repeating: 0, count: rows * w.outDim)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                Kernels.linear(
                    xs.baseAddress!, rows: rows, inDim: w.inDim, weight: w, out: o.baseAddress!, ldOut: w.outDim,
                    preciseActivations: precise)
            }
        }
        var worst = 0.0
        for r in 0..<rows {
            for j in 0..<w.outDim {
                var exact = 0.0
                var magnitude = 0.0
                for q in 0..<w.inDim {
                    let p = Double(x[r * w.inDim + q]) * Double(dense[j * w.inDim + q])
                    exact += p
                    magnitude += abs(p)
                }
                worst = max(worst, abs(Double(out[r * w.outDim + j]) - exact) / magnitude)
            }
        }
        return worst
    }

    /// The LM head's path: int8 activations plus their int8 residual come within 2e-5 of Σ|x·w| of the exact product
    /// (measured here: 1.2e-6 to 3.3e-6), where int8 activations alone are off by 4.4e-4 to 9.2e-4.
    @Test("precise activations: the int8 residual pass brings decode products to f32 accuracy",
          arguments: [GGMLType.q8_0, .q4_1, .q4_K, .q6_K])
    func preciseActivations(type: GGMLType) {
        let w = QuantizedMatrix.dummy(type: type, outDim: 48, inDim: 512, seed: 9)
        for rows in [1, 3, 5, 8] {
            let coarse = Self.worstError(w, rows: rows, precise: false)
            let precise = Self.worstError(w, rows: rows, precise: true)
            #expect(precise <= 2e-5, "\(type) rows \(rows): \(precise)")
            #expect(coarse > 20 * precise, "\(type) rows \(rows): int8 alone \(coarse), with the residual \(precise)")
        }
    }
}
