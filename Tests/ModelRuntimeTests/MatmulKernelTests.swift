import CKernels
import Testing
@testable import ModelRuntime

/// The AVX2/FMA matmul kernel and `Kernels.linear` checked against a double-precision reference, on every
/// tile shape and tail the kernel has (4×3 tiles; 1–3 leftover rows of X, 1–2 leftover rows of W, K not a
/// multiple of 8) and on both sides of the native/BLAS crossover.
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

    @Test("every tile and tail shape, with row strides, a sub-range of W and accumulation",
          .enabled(if: apus_kernels_available() != 0, "the CPU lacks AVX2 or FMA"))
    func tileShapes() {
        for rows in 1...9 {
            for n in 1...10 {
                for k in [1, 7, 8, 9, 33] {
                    let (ldx, ldw, ldc) = (k + 3, k + 1, n + 2)
                    let x = Self.values(rows * ldx, seed: rows * 131 + k)
                    let w = Self.values(n * ldw, seed: n * 977 + k)
                    let initial = Self.values(rows * ldc, seed: 5)
                    for accumulate in [false, true] {
                        // The sub-range leaves the first and last rows of W out when there are enough.
                        let range = n > 2 ? 1..<(n - 1) : 0..<n
                        var got = initial
                        var want = initial
                        apus_sgemm_nt(
                            Int32(rows), Int32(k), x, ldx, w, ldw, &got, ldc, Int32(range.lowerBound),
                            Int32(range.upperBound), accumulate ? 1 : 0)
                        Self.reference(
                            rows: rows, k: k, n: n, x: x, ldx: ldx, w: w, ldw: ldw, c: &want, ldc: ldc,
                            range: range, accumulate: accumulate)
                        let error = Self.maxError(got, want, k: k)
                        #expect(error < 1e-6, "rows \(rows) n \(n) k \(k) accumulate \(accumulate): \(error)")
                    }
                }
            }
        }
    }

    @Test("Kernels.linear matches the reference for decode and prefill batch sizes, bias and accumulation",
          arguments: [1, 3, 32, 64, 65, 97])
    func linear(rows: Int) {
        // Batch 1 gets a weight big enough to be split over the cores; K is not a multiple of 8.
        let (inDim, outDim) = rows == 1 ? (1017, 1031) : (201, 771)
        let x = Self.values(rows * inDim, seed: rows)
        let weight = Tensor(shape: [outDim, inDim], values: Self.values(outDim * inDim, seed: 11))
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
