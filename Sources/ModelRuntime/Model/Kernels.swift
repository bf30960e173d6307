import CKernels
import Foundation

/// The matmul and element-wise kernels of the forward pass, on raw row-major f32 pointers.
///
/// NOTE: SIMD code here uses `*` and `+` only: `addingProduct` lowers to one `fmaf` call per lane on the
/// default x86-64 target. Code that needs FMA or AVX-512 lives in the `CKernels` C target.
package enum Kernels {
    package static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The vector ISA of the GEMM kernel (`apus_gemm_packed`'s `isa`).
    public enum GEMMKernel: Int32, Sendable, CaseIterable, Comparable, CustomStringConvertible {
        case plain = 0
        case avx2 = 1
        case avx512 = 2

        /// The widest one this CPU runs.
        public static let best = GEMMKernel(rawValue: apus_gemm_best_isa()) ?? .plain

        /// `APUS_GEMM_ISA=plain|avx2|avx512` narrows the choice (for comparisons); never wider than the CPU.
        public static let chosen: GEMMKernel = {
            let asked = ProcessInfo.processInfo.environment["APUS_GEMM_ISA"].flatMap { name in
                allCases.first { $0.description == name }
            }
            return min(asked ?? best, best)
        }()

        public static func < (a: GEMMKernel, b: GEMMKernel) -> Bool { a.rawValue < b.rawValue }

        public var description: String {
            switch self {
            case .plain: "plain"
            case .avx2: "avx2"
            case .avx512: "avx512"
            }
        }
    }

    /// Threads for a product of `rows` × `inDim` by `inDim` × `outDim`: every core from 2¹⁸ multiply-adds, else the
    /// caller alone (a loop's start and finish cost more than so small a product).
    static func matmulThreads(rows: Int, outDim: Int, inDim: Int) -> Int {
        rows * outDim * inDim >= 1 << 18 ? cores : 1
    }

    /// Output rows of X per thread block of the kernel (its `MC`): larger batches are cut into row blocks first.
    static let rowBlock = 144

    /// `out[r] = x[r] · Wᵀ (+ bias) (+ out[r] when accumulate)` for `rows` rows, W packed; output rows are `ldOut`
    /// floats apart (default `outDim`: one weight of several parts writes each part into its columns).
    ///
    /// Every batch size runs the packed GEMM on every core (decode included: batch 1 is bound by memory
    /// bandwidth, which one core cannot pull alone). The work is cut into parts taken dynamically — row blocks
    /// of a prefill, ranges of W panels otherwise — so a worker that wakes late only shortens the others' share.
    package static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: PackedMatrix, bias: Tensor? = nil,
        out: UnsafeMutablePointer<Float>, ldOut: Int? = nil, accumulate: Bool = false, kernel: GEMMKernel = .chosen
    ) {
        let outDim = weight.outDim
        let ldc = ldOut ?? outDim
        precondition(weight.inDim == inDim, "weight [\(outDim), \(weight.inDim)] for input width \(inDim)")
        guard rows > 0 else { return }
        let threads = matmulThreads(rows: rows, outDim: outDim, inDim: inDim)
        let panels = weight.panels
        // Row blocks of at most `rowBlock` rows, as many as a multiple of the threads and equal in size: 1,024 rows
        // on 2 threads are 8 blocks of 128, not 7 of 144 and one of 16 (which left a thread idle at the end).
        var rowBlocks = (rows + rowBlock - 1) / rowBlock
        if threads > 1 && rowBlocks > 1 { rowBlocks = (rowBlocks + threads - 1) / threads * threads }
        let blockRows = (rows + rowBlocks - 1) / rowBlocks
        rowBlocks = (rows + blockRows - 1) / blockRows
        // NOTE: each part packs its rows of X for its panels, so only the smallest batches (bound by memory, where
        // X is a few floats) take eight panel ranges per thread; larger ones take two (measured on 2 cores: batch-32
        // decode 44.7 ms with eight, 38.8–39.1 with two; a 128-token prompt 131 ms with eight, 117 with two).
        let panelParts =
            threads == 1
            ? 1 : min(panels, rows <= 4 ? 8 * threads : max(1, (2 * threads + rowBlocks - 1) / rowBlocks))
        let parts = rowBlocks * panelParts
        let (w, xs, o) = (SendablePointer(UnsafeMutablePointer(mutating: weight.pointer)),
                          SendablePointer(UnsafeMutablePointer(mutating: x)), SendablePointer(out))
        let run: @Sendable (Int) -> Void = { part in
            let (block, slice) = (part / panelParts, part % panelParts)
            let firstRow = block * blockRows
            let (p0, p1) = (slice * panels / panelParts, (slice + 1) * panels / panelParts)
            let status = apus_gemm_packed(
                kernel.rawValue, Int32(min(blockRows, rows - firstRow)), Int32(inDim), xs.base + firstRow * inDim,
                inDim, w.base, Int32(outDim), o.base + firstRow * ldc, ldc, Int32(p0), Int32(p1),
                accumulate ? 1 : 0)
            precondition(status == 0, "GEMM kernel \(kernel) failed with status \(status)")
        }
        Parallel.run(parts: parts, threads: threads, run)
        if let b = bias {
            for r in 0..<rows { add(out + r * ldc, b.pointer, count: outDim) }
        }
    }

    /// HF `LlamaRMSNorm`: `w · (x / √(mean(x²) + eps))`, per row of `dim`.
    static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        rows: Int, dim: Int, eps: Float
    ) {
        for r in 0..<rows {
            let xr = x + r * dim
            let orow = out + r * dim
            let inv = 1 / (dot(xr, xr, count: dim) / Float(dim) + eps).squareRoot()
            for j in 0..<dim { orow[j] = weight[j] * (xr[j] * inv) }
        }
    }

    /// `out[r, j] = silu(gateUp[r, j]) · gateUp[r, I + j]` for `gateUp` rows of `[gate | up]`.
    static func siluAndMul(_ gateUp: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, dim: Int) {
        for r in 0..<rows {
            let g = gateUp + r * 2 * dim
            let u = g + dim
            let o = out + r * dim
            for j in 0..<dim { o[j] = g[j] / (1 + expf(-g[j])) * u[j] }
        }
    }

    static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        for j in 0..<count { y[j] += x[j] }
    }

    /// Σ a[i]·b[i], eight lanes at a time.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        while i + 8 <= count {
            let va = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let vb = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc = acc + va * vb
            i += 8
        }
        var s = acc.sum()
        while i < count {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// y += alpha · x, eight lanes at a time.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x)
        let ry = UnsafeMutableRawPointer(y)
        let va = SIMD8<Float>(repeating: alpha)
        while i + 8 <= count {
            let vx = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let vy = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: vy + va * vx, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }
}
