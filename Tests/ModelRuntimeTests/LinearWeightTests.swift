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
}
