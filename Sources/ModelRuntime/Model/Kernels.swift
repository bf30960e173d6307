import CBLAS
import Foundation

/// The element-wise and BLAS kernels of the forward pass, on raw row-major f32 pointers.
///
/// NOTE: SIMD code here uses `*` and `+` only: `addingProduct` lowers to one `fmaf` call per lane on the
/// default x86-64 target (build notes, pitfall 3).
enum Kernels {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// `out[r] = x[r] · Wᵀ (+ bias) (+ out[r] when accumulate)` for `rows` rows; W is `[outDim, inDim]`.
    static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: Tensor, bias: Tensor? = nil,
        out: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        let outDim = weight.shape[0]
        precondition(weight.shape[1] == inDim, "weight \(weight.shape) for input width \(inDim)")
        let beta: Float = accumulate ? 1 : 0
        if rows == 1 && inDim >= 256 {
            // NOTE: one sdot per weight row streams W faster than OpenBLAS 0.3.21's sgemv on Zen (measured
            // ~37 vs ~32 GB/s): batch-1 decode is bound by this read.
            // Large matrices are split by rows over the cores: one core cannot pull the whole memory bandwidth.
            let parts = outDim * inDim >= 1 << 20 ? Self.cores : 1
            let (w, xs, o) = (SendablePointer(weight.pointer), SendablePointer(UnsafeMutablePointer(mutating: x)),
                              SendablePointer(out))
            let n = Int32(inDim)
            let chunk = (outDim + parts - 1) / parts
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for row in (part * chunk)..<min(outDim, (part + 1) * chunk) {
                    let d = cblas_sdot(n, w.base + row * inDim, 1, xs.base, 1)
                    o.base[row] = accumulate ? o.base[row] + d : d
                }
            }
        } else if rows == 1 {
            cblas_sgemv(
                CblasRowMajor, CblasNoTrans, Int32(outDim), Int32(inDim), 1, weight.pointer, Int32(inDim),
                x, 1, beta, out, 1)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outDim), Int32(inDim), 1,
                x, Int32(inDim), weight.pointer, Int32(inDim), beta, out, Int32(outDim))
        }
        if let b = bias {
            for r in 0..<rows { add(out + r * outDim, b.pointer, count: outDim) }
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
