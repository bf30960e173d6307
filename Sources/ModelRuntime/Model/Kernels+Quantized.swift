import CKernels
import ModelFiles

extension Kernels {
    /// Batches up to this many rows multiply a quantized weight with int8 activations (`apus_quant_gemv`): decode
    /// reads each weight once per step and is bound by memory. Larger batches dequantize W a few panels at a time
    /// and run the f32 GEMM (`apus_quant_gemm`), whose rows × 32 multiply-adds per weight then dominate.
    package static let quantizedDecodeRows = 8

    /// `out[r·ldOut + j] = x[r·inDim ..< +inDim] · W[j]` (+ the old value when accumulate) for r < rows, j < outDim.
    ///
    /// Parallel over all cores with `Parallel.run`: decode-size batches in ranges of W rows (the activations are
    /// quantized once, before the parts start), prefill-size ones in ranges of W panels, each part dequantizing its
    /// panels into its own thread's buffer. `ldOut` lets callers fuse projections of different types (q, k, v)
    /// into column ranges of one output.
    package static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: QuantizedMatrix,
        out: UnsafeMutablePointer<Float>, ldOut: Int, accumulate: Bool = false, kernel: GEMMKernel = .chosen
    ) {
        let outDim = weight.outDim
        precondition(weight.inDim == inDim, "weight [\(outDim), \(weight.inDim)] for input width \(inDim)")
        precondition(ldOut >= outDim, "output row stride \(ldOut) below the \(outDim) columns")
        guard rows > 0, outDim > 0 else { return }
        let threads = rows * outDim * inDim >= 1 << 18 ? cores : 1
        if rows <= quantizedDecodeRows {
            linearDecode(x, rows: rows, weight: weight, out: out, ldOut: ldOut, accumulate: accumulate,
                         kernel: kernel, threads: threads)
        } else {
            linearTiled(x, rows: rows, weight: weight, out: out, ldOut: ldOut, accumulate: accumulate,
                        kernel: kernel, threads: threads)
        }
    }

    private static func linearDecode(
        _ x: UnsafePointer<Float>, rows: Int, weight: QuantizedMatrix, out: UnsafeMutablePointer<Float>, ldOut: Int,
        accumulate: Bool, kernel: GEMMKernel, threads: Int
    ) {
        let (type, inDim, outDim) = (Int32(weight.type.rawValue), weight.inDim, weight.outDim)
        let actBytes = apus_quant_act_bytes(type, Int32(rows), Int32(inDim))
        let act = UnsafeMutableRawPointer.allocate(byteCount: max(actBytes, 1), alignment: 64)
        defer { act.deallocate() }
        apus_quant_prepare(type, Int32(rows), Int32(inDim), x, inDim, act)
        // The float types take X as it is.
        let operand = actBytes > 0 ? UnsafeRawPointer(act) : UnsafeRawPointer(x)
        // NOTE: eight parts per thread, taken dynamically, so a worker that wakes late only shortens the others'.
        let parts = threads == 1 ? 1 : min(outDim, 8 * threads)
        let (a, w, o) = (SendablePointer(UnsafeMutablePointer(mutating: operand.assumingMemoryBound(to: UInt8.self))),
                         SendablePointer(UnsafeMutablePointer(mutating: weight.bytes.assumingMemoryBound(to: UInt8.self))),
                         SendablePointer(out))
        let rowBytes = weight.rowBytes
        Parallel.run(parts: parts, threads: threads) { part in
            let status = apus_quant_gemv(
                kernel.rawValue, type, Int32(rows), Int32(inDim), a.base, w.base, rowBytes, o.base, ldOut,
                Int32(part * outDim / parts), Int32((part + 1) * outDim / parts), accumulate ? 1 : 0)
            precondition(status == 0, "quantized GEMV (\(weight.type), \(kernel)) failed with status \(status)")
        }
    }

    private static func linearTiled(
        _ x: UnsafePointer<Float>, rows: Int, weight: QuantizedMatrix, out: UnsafeMutablePointer<Float>, ldOut: Int,
        accumulate: Bool, kernel: GEMMKernel, threads: Int
    ) {
        let (type, inDim, outDim) = (Int32(weight.type.rawValue), weight.inDim, weight.outDim)
        let panels = (outDim + PackedMatrix.panel - 1) / PackedMatrix.panel
        // Every part dequantizes its panels once and multiplies them with all rows of X.
        let parts = threads == 1 ? 1 : min(panels, 4 * threads)
        let (xs, w, o) = (SendablePointer(UnsafeMutablePointer(mutating: x)),
                          SendablePointer(UnsafeMutablePointer(mutating: weight.bytes.assumingMemoryBound(to: UInt8.self))),
                          SendablePointer(out))
        let rowBytes = weight.rowBytes
        Parallel.run(parts: parts, threads: threads) { part in
            let status = apus_quant_gemm(
                kernel.rawValue, type, Int32(rows), Int32(inDim), xs.base, inDim, w.base, rowBytes, Int32(outDim),
                o.base, ldOut, Int32(part * panels / parts), Int32((part + 1) * panels / parts), accumulate ? 1 : 0)
            precondition(status == 0, "quantized GEMM (\(weight.type), \(kernel)) failed with status \(status)")
        }
    }
}
