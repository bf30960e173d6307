import CKernels
import ModelFiles

extension Kernels {
    /// Batches up to this many rows multiply a quantized weight with int8 activations (`apus_quant_gemv`): decode
    /// reads each weight once per step and is bound by memory.
    package static let quantizedDecodeRows = 8

    /// Whether `rows` rows of X meet a weight of `type` in int8 register tiles (`apus_quant_int8_gemm`) rather than
    /// W dequantized a few panels at a time into the f32 GEMM (`apus_quant_gemm`): quantized types above
    /// `quantizedDecodeRows` rows, with a vector kernel. The tiles were faster at every batch size measured, 16 to
    /// 2,048 rows (docs/performance.md). NOTE: plain C keeps the f32 GEMM, which the compiler vectorizes; its int8
    /// tiles are the reference the vector ones are tested against (576×1536 Q4_1, 128 rows, one thread: 117 ms
    /// against 4.5 ms).
    package static func usesInt8Tiles(rows: Int, type: GGMLType, kernel: GEMMKernel) -> Bool {
        rows > quantizedDecodeRows && type.isQuantized && kernel >= .avx2
    }

    /// `out[r·ldOut + j] = x[r·inDim ..< +inDim] · W[j]` (+ the old value when accumulate) for r < rows, j < outDim.
    ///
    /// Parallel over all cores with `Parallel.run`: decode-size batches and the int8 tiles in ranges of W rows (the
    /// activations are quantized once, before the parts start), the f32 GEMM in ranges of W panels, each part
    /// dequantizing its panels into its own thread's buffer. `ldOut` lets callers fuse projections of different
    /// types (q, k, v) into column ranges of one output. `preciseActivations` multiplies X as two int8 rows, its
    /// quantization and the residual of it, in one read of W (`linearSplit`; `apus_quant_int8_gemm` split): the LM
    /// head takes it, so the sampled token is chosen within ~1/64,516 of each activation block's largest value
    /// instead of ~1/254.
    package static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: QuantizedMatrix,
        out: UnsafeMutablePointer<Float>, ldOut: Int, accumulate: Bool = false, preciseActivations: Bool = false,
        kernel: GEMMKernel = .chosen
    ) {
        let outDim = weight.outDim
        precondition(weight.inDim == inDim, "weight [\(outDim), \(weight.inDim)] for input width \(inDim)")
        precondition(ldOut >= outDim, "output row stride \(ldOut) below the \(outDim) columns")
        guard rows > 0, outDim > 0 else { return }
        let threads = matmulThreads(rows: rows, outDim: outDim, inDim: inDim)
        if rows <= quantizedDecodeRows && preciseActivations && weight.type.isQuantized {
            linearSplit(x, rows: rows, weight: weight, out: out, ldOut: ldOut, accumulate: accumulate, kernel: kernel)
        } else if rows <= quantizedDecodeRows {
            linearDecode(
                x, rows: rows, weight: weight, out: out, ldOut: ldOut, accumulate: accumulate,
                kernel: kernel, threads: threads)
        } else if usesInt8Tiles(rows: rows, type: weight.type, kernel: kernel) {
            let act = Int8Activations(x, rows: rows, inDim: inDim, split: preciseActivations, kernel: kernel)
            defer { act.deallocate() }
            linearInt8(
                act, parts: [weight], out: out, ldOut: ldOut, accumulate: accumulate, kernel: kernel, threads: threads)
        } else {
            linearTiled(
                x, rows: rows, weight: weight, out: out, ldOut: ldOut, accumulate: accumulate,
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
        let (a, w, o) = (
            SendablePointer(UnsafeMutablePointer(mutating: operand.assumingMemoryBound(to: UInt8.self))), weight.base,
            SendablePointer(out)
        )
        let rowBytes = weight.rowBytes
        Parallel.run(parts: parts, threads: threads) { part in
            let status = apus_quant_gemv(
                kernel.rawValue, type, Int32(rows), Int32(inDim), a.base, w.base, rowBytes, o.base, ldOut,
                Int32(part * outDim / parts), Int32((part + 1) * outDim / parts), accumulate ? 1 : 0)
            precondition(status == 0, "quantized GEMV (\(weight.type), \(kernel)) failed with status \(status)")
        }
    }

    /// Decode-size rows as int8 activations plus the int8 residual of their quantization: [X; X − X̂] is one GEMV of
    /// 2 × rows rows (W read once per 8), and each output sums its two products.
    private static func linearSplit(
        _ x: UnsafePointer<Float>, rows: Int, weight: QuantizedMatrix, out: UnsafeMutablePointer<Float>, ldOut: Int,
        accumulate: Bool, kernel: GEMMKernel
    ) {
        let (code, inDim, outDim) = (Int32(weight.type.rawValue), weight.inDim, weight.outDim)
        let chunk = quantizedDecodeRows / 2
        let stacked = UnsafeMutablePointer<Float>.allocate(capacity: 2 * chunk * inDim)
        let products = UnsafeMutablePointer<Float>.allocate(capacity: 2 * chunk * outDim)
        let act = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, apus_quant_act_bytes(code, Int32(chunk), Int32(inDim))), alignment: 64)
        defer {
            stacked.deallocate()
            products.deallocate()
            act.deallocate()
        }
        var first = 0
        while first < rows {
            let n = min(chunk, rows - first)
            let xs = x + first * inDim
            stacked.update(from: xs, count: n * inDim)
            apus_quant_prepare(code, Int32(n), Int32(inDim), xs, inDim, act)
            apus_quant_residual(code, Int32(n), Int32(inDim), xs, inDim, act, stacked + n * inDim)
            let threads = matmulThreads(rows: 2 * n, outDim: outDim, inDim: inDim)
            linearDecode(
                stacked, rows: 2 * n, weight: weight, out: products, ldOut: outDim, accumulate: false, kernel: kernel,
                threads: threads)
            for r in 0..<n {
                let (value, residual, o) = (products + r * outDim, products + (n + r) * outDim, out + (first + r) * ldOut)
                if accumulate {
                    for j in 0..<outDim { o[j] += value[j] + residual[j] }
                } else {
                    for j in 0..<outDim { o[j] = value[j] + residual[j] }
                }
            }
            first += n
        }
    }

    private static func linearTiled(
        _ x: UnsafePointer<Float>, rows: Int, weight: QuantizedMatrix, out: UnsafeMutablePointer<Float>, ldOut: Int,
        accumulate: Bool, kernel: GEMMKernel, threads: Int
    ) {
        let (type, inDim, outDim) = (Int32(weight.type.rawValue), weight.inDim, weight.outDim)
        let panels = (outDim + PackedMatrix.panel - 1) / PackedMatrix.panel
        // Every part dequantizes its panels once and multiplies them with all rows of X, which it packs once per
        // group of panels: so few parts, two per thread (as `linear` on f32 weights takes for one row block).
        let parts = threads == 1 ? 1 : min(panels, 2 * threads)
        let (xs, w, o) = (SendablePointer(UnsafeMutablePointer(mutating: x)), weight.base, SendablePointer(out))
        let rowBytes = weight.rowBytes
        Parallel.run(parts: parts, threads: threads) { part in
            let status = apus_quant_gemm(
                kernel.rawValue, type, Int32(rows), Int32(inDim), xs.base, inDim, w.base, rowBytes, Int32(outDim),
                o.base, ldOut, Int32(part * panels / parts), Int32((part + 1) * panels / parts), accumulate ? 1 : 0)
            precondition(status == 0, "quantized GEMM (\(weight.type), \(kernel)) failed with status \(status)")
        }
    }

    /// X prepared once for `apus_quant_int8_gemm` with any quantized type (its layout does not depend on the type).
    struct Int8Activations {
        let pointer: UnsafeMutableRawPointer
        let rows: Int, inDim: Int, split: Bool

        init(_ x: UnsafePointer<Float>, rows: Int, inDim: Int, split: Bool, kernel: GEMMKernel) {
            (self.rows, self.inDim, self.split) = (rows, inDim, split)
            let bytes = apus_quant_int8_act_bytes(Int32(rows), Int32(inDim), split ? 1 : 0)
            pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            apus_quant_int8_prepare(kernel.rawValue, Int32(rows), Int32(inDim), x, inDim, split ? 1 : 0, pointer)
        }

        func deallocate() { pointer.deallocate() }
    }

    /// Weight rows of one `apus_quant_int8_gemm` call: a multiple of the kernel's tile of 4 rows.
    static let int8PartRows = 16

    /// `parts` (quantized, all of `act.inDim` columns) stacked into consecutive column ranges of `out`, in one
    /// parallel loop over ranges of all their rows: every part reads each of its weight rows once for all rows of X.
    static func linearInt8(
        _ act: Int8Activations, parts: [QuantizedMatrix], out: UnsafeMutablePointer<Float>, ldOut: Int,
        accumulate: Bool, kernel: GEMMKernel, threads: Int
    ) {
        // Ranges numbered part after part: part p's first range and first column.
        var (firstRange, firstColumn) = ([0], [0])
        for part in parts {
            firstRange.append(firstRange.last! + (part.outDim + int8PartRows - 1) / int8PartRows)
            firstColumn.append(firstColumn.last! + part.outDim)
        }
        let (a, o, ranges, columns) = (
            SendablePointer(act.pointer.assumingMemoryBound(to: UInt8.self)), SendablePointer(out), firstRange,
            firstColumn
        )
        let (rows, inDim, split) = (Int32(act.rows), Int32(act.inDim), Int32(act.split ? 1 : 0))
        Parallel.run(parts: firstRange.last!, threads: threads) { index in
            let p = ranges.lastIndex { $0 <= index }!
            let m = parts[p]
            let begin = (index - ranges[p]) * int8PartRows
            let status = apus_quant_int8_gemm(
                kernel.rawValue, Int32(m.type.rawValue), rows, inDim, a.base, split, m.base.base, m.rowBytes,
                o.base + columns[p], ldOut, Int32(begin), Int32(min(begin + int8PartRows, m.outDim)),
                accumulate ? 1 : 0)
            precondition(status == 0, "int8 GEMM (\(m.type), \(kernel)) failed with status \(status)")
        }
    }
}
