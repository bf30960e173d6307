import CKernels
import Testing
@testable import ModelRuntime

/// The packed GEMM (every ISA this CPU runs: plain C, AVX2/FMA, AVX-512) and `Kernels.linear` checked against a
/// double-precision reference, on every micro-tile tail (1–12 leftover rows of X, partial panels of W on either
/// side of 16 columns, K across the kernels' K blocks), on sub-ranges of panels and on both sides of the row block.
@Suite("Matmul kernels")
struct MatmulKernelTests {
    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: Int) -> [Float] {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Float(state % 2048) / 1024 - 1
        }
    }

    /// `c[m, n] (+)= Σ x[m, k] w[n, k]` in Double.
    static func reference(
        rows: Int, k: Int, n: Int, x: [Float], ldx: Int, w: [Float], ldw: Int, c: inout [Float], ldc: Int,
        range: Range<Int>, accumulate: Bool
    ) {
        for m in 0..<rows {
            for j in range {
                var s = 0.0
                for q in 0..<k { s += Double(x[m * ldx + q]) * Double(w[j * ldw + q]) }
                c[m * ldc + j] = Float(accumulate ? Double(c[m * ldc + j]) + s : s)
            }
        }
    }

    static func maxError(_ a: [Float], _ b: [Float], k: Int) -> Float {
        zip(a, b).map { abs($0 - $1) / Float(max(1, k)).squareRoot() }.max() ?? 0
    }

    static let kernels = Kernels.GEMMKernel.allCases.filter { $0 <= Kernels.GEMMKernel.best }

    @Test("every tile and tail shape, with row strides, a sub-range of panels and accumulation", arguments: kernels)
    func tileShapes(kernel: Kernels.GEMMKernel) {
        for rows in [1, 2, 5, 6, 7, 11, 12, 13, 25] {
            for n in [1, 15, 16, 17, 31, 32, 33, 70, 97] {
                for k in [1, 7, 129, 257] {
                    let (ldx, ldc) = (k + 3, n + 2)
                    let x = Self.values(rows * ldx, seed: rows * 131 + k)
                    let w = Self.values(n * k, seed: n * 977 + k)
                    let packed = PackedMatrix(packing: Tensor(shape: [n, k], values: w))
                    let initial = Self.values(rows * ldc, seed: 5)
                    for accumulate in [false, true] {
                        // The sub-range leaves the first and last panels out when there are enough.
                        let panels = packed.panels > 2 ? 1..<(packed.panels - 1) : 0..<packed.panels
                        let columns = panels.lowerBound * 32..<min(n, panels.upperBound * 32)
                        var got = initial
                        var want = initial
                        let status = apus_gemm_packed(
                            kernel.rawValue, Int32(rows), Int32(k), x, ldx, packed.pointer, Int32(n), &got, ldc,
                            Int32(panels.lowerBound), Int32(panels.upperBound), accumulate ? 1 : 0)
                        #expect(status == 0)
                        Self.reference(
                            rows: rows, k: k, n: n, x: x, ldx: ldx, w: w, ldw: k, c: &want, ldc: ldc,
                            range: columns, accumulate: accumulate)
                        let error = Self.maxError(got, want, k: k)
                        #expect(error < 1e-6, "\(kernel) rows \(rows) n \(n) k \(k) acc \(accumulate): \(error)")
                    }
                }
            }
        }
    }

    @Test("a batch of no rows writes nothing")
    func noRows() {
        let weight = PackedMatrix(packing: Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6]))
        var out: [Float] = [7]
        [Float(1), 1].withUnsafeBufferPointer { x in
            Kernels.linear(x.baseAddress!, rows: 0, inDim: 2, weight: weight, out: &out)
        }
        #expect(out == [7])
    }

    @Test("packing round-trips and an ISA the CPU lacks is refused")
    func packing() {
        let w = Self.values(45 * 19, seed: 3)
        #expect(PackedMatrix(packing: Tensor(shape: [45, 19], values: w)).toArray() == w)
        if Kernels.GEMMKernel.best < .avx512 {
            var c = [Float](repeating: 0, count: 1)
            let packed = PackedMatrix(packing: Tensor(shape: [1, 1], values: [1]))
            #expect(apus_gemm_packed(2, 1, 1, [1], 1, packed.pointer, 1, &c, 1, 0, 1, 0) == -1)
        }
    }

    @Test("Kernels.linear matches the reference for decode and prefill batch sizes, bias and accumulation",
          arguments: [1, 3, 32, 64, 65, 97, 150, 300])
    func linear(rows: Int) {
        // Batch 1 gets a weight big enough to be split over the cores; K is not a multiple of 8.
        let (inDim, outDim) = rows == 1 ? (1017, 1031) : (201, 771)
        let x = Self.values(rows * inDim, seed: rows)
        let weight = PackedMatrix(
            packing: Tensor(shape: [outDim, inDim], values: Self.values(outDim * inDim, seed: 11)))
        let bias = Tensor(shape: [outDim], values: Self.values(outDim, seed: 12))
        var product = [Float](repeating: 0, count: rows * outDim)
        let w = weight.toArray()
        Self.reference(
            rows: rows, k: inDim, n: outDim, x: x, ldx: inDim, w: w, ldw: inDim, c: &product, ldc: outDim,
            range: 0..<outDim, accumulate: false)
        let initial = Self.values(rows * outDim, seed: 13)
        for accumulate in [false, true] {
            var got = initial
            x.withUnsafeBufferPointer { xp in
                got.withUnsafeMutableBufferPointer { out in
                    Kernels.linear(
                        xp.baseAddress!, rows: rows, inDim: inDim, weight: weight, bias: bias,
                        out: out.baseAddress!, accumulate: accumulate)
                }
            }
            let want = (0..<rows * outDim).map { i in
                (accumulate ? initial[i] : 0) + product[i] + bias.pointer[i % outDim]
            }
            let error = Self.maxError(got, want, k: inDim)
            #expect(error < 1e-5, "rows \(rows) accumulate \(accumulate): \(error)")
        }
    }
}
