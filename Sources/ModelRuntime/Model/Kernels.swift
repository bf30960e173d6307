import CBLAS
import CKernels
import Foundation

/// The matmul and element-wise kernels of the forward pass, on raw row-major f32 pointers.
///
/// NOTE: SIMD code here uses `*` and `+` only: `addingProduct` lowers to one `fmaf` call per lane on the
/// default x86-64 target (build notes, pitfall 3). Code that needs FMA lives in the `CKernels` C target.
enum Kernels {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Which code runs the matmuls of decode-size batches (2 to `nativeMaxRows` rows).
    enum MatmulPath: Sendable {
        /// `CKernels`' AVX2/FMA kernel on W as stored (the default on CPUs with AVX2 and FMA).
        case native
        /// OpenBLAS's sgemm.
        case blas
    }

    /// `APUS_MATMUL=blas` forces OpenBLAS (for comparisons); otherwise the native kernel where the CPU has it.
    static let matmulPath: MatmulPath =
        apus_kernels_available() != 0 && ProcessInfo.processInfo.environment["APUS_MATMUL"] != "blas"
        ? .native : .blas

    /// Batches of at most this many rows go to the native kernel; larger ones to OpenBLAS's sgemm, whose
    /// packing pays for itself once each weight element is reused this many times (measured crossover).
    static let nativeMaxRows = 64

    /// `out[r] = x[r] · Wᵀ (+ bias) (+ out[r] when accumulate)` for `rows` rows; W is `[outDim, inDim]`.
    ///
    /// Batch 1 is one OpenBLAS sdot per weight row (its prefetch suits one sequential stream: the tiled
    /// kernel's three interleaved rows measured 15% slower); decode-size batches use the native kernel
    /// (OpenBLAS's sgemm packs W on every call, a second full read and write of every weight: 13.5% of a
    /// batch-32 step by perf; the kernel reads W once); prefill-size batches use sgemm.
    static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: Tensor, bias: Tensor? = nil,
        out: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        let outDim = weight.shape[0]
        precondition(weight.shape[1] == inDim, "weight \(weight.shape) for input width \(inDim)")
        let (w, xs, o) = (SendablePointer(weight.pointer), SendablePointer(UnsafeMutablePointer(mutating: x)),
                          SendablePointer(out))
        if rows == 1 {
            // Bound by memory bandwidth, which one core cannot pull alone: every core takes a share.
            splitRows(outDim, threads: outDim * inDim >= 1 << 18 ? cores : 1) { range in
                for row in range {
                    let d = cblas_sdot(Int32(inDim), w.base + row * inDim, 1, xs.base, 1)
                    o.base[row] = accumulate ? o.base[row] + d : d
                }
            }
        } else if matmulPath == .native && rows <= nativeMaxRows {
            // As many threads as BLAS gets, so both paths (and the bench's sgemm ceiling) use the same compute.
            splitRows(outDim, threads: outDim * inDim * rows >= 1 << 20 ? BLASThreads.current : 1) { range in
                apus_sgemm_nt(
                    Int32(rows), Int32(inDim), xs.base, inDim, w.base, inDim, o.base, outDim,
                    Int32(range.lowerBound), Int32(range.upperBound), accumulate ? 1 : 0)
            }
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outDim), Int32(inDim), 1, x,
                Int32(inDim), weight.pointer, Int32(inDim), accumulate ? 1 : 0, out, Int32(outDim))
        }
        if let b = bias {
            for r in 0..<rows { add(out + r * outDim, b.pointer, count: outDim) }
        }
    }

    /// Runs `body` over `0..<outDim` cut into ranges (multiples of 3 rows, the native kernel's tile).
    ///
    /// NOTE: eight ranges per thread, taken dynamically: a worker that wakes late (tens of µs) then only
    /// shortens the calling thread's share instead of leaving it waiting at the end of every matmul.
    private static func splitRows(_ outDim: Int, threads: Int, _ body: @escaping @Sendable (Range<Int>) -> Void) {
        let parts = threads > 1 ? min(8 * threads, max(1, outDim / 48)) : 1
        if parts == 1 { return body(0..<outDim) }
        let chunk = ((outDim + parts - 1) / parts + 2) / 3 * 3
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let (begin, end) = (min(outDim, part * chunk), min(outDim, (part + 1) * chunk))
            if begin < end { body(begin..<end) }
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
