import CKernels
import ModelFiles

extension Kernels {
    /// `out[r] = x[r] · Wᵀ (+ bias) (+ out[r] when accumulate)` for `rows` rows: each part of W writes its columns of
    /// `out` (rows `weight.outDim` floats apart) with the kernel of its format.
    package static func linear(
        _ x: UnsafePointer<Float>, rows: Int, inDim: Int, weight: LinearWeight, bias: Tensor? = nil,
        out: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        precondition(weight.inDim == inDim, "weight [\(weight.outDim), \(weight.inDim)] for input width \(inDim)")
        if weight.parts.count == 1, case .packed(let matrix) = weight.parts[0] {
            linear(x, rows: rows, inDim: inDim, weight: matrix, bias: bias, out: out, accumulate: accumulate)
            return
        }
        let stored = weight.parts.compactMap { part -> QuantizedMatrix? in
            if case .stored(let m) = part { return m }
            return nil
        }
        let stacked = stored.count == weight.parts.count && stored.count > 1 && !weight.preciseActivations
        if stacked && rows <= quantizedDecodeRows {
            decodeStacked(x, rows: rows, inDim: inDim, parts: stored, out: out, accumulate: accumulate)
        } else if stacked && stored.allSatisfy({ usesInt8Tiles(rows: rows, type: $0.type, kernel: .chosen) }) {
            // One prepared X for every part (its layout does not depend on the type), one parallel loop.
            let act = Int8Activations(x, rows: rows, inDim: inDim, split: false, kernel: .chosen)
            defer { act.deallocate() }
            linearInt8(
                act, parts: stored, out: out, ldOut: weight.outDim, accumulate: accumulate, kernel: .chosen,
                threads: matmulThreads(rows: rows, outDim: weight.outDim, inDim: inDim))
        } else {
            var column = 0
            for part in weight.parts {
                switch part {
                case .packed(let matrix):
                    linear(
                        x, rows: rows, inDim: inDim, weight: matrix, out: out + column, ldOut: weight.outDim,
                        accumulate: accumulate)
                case .stored(let matrix):
                    linear(
                        x, rows: rows, inDim: inDim, weight: matrix, out: out + column, ldOut: weight.outDim,
                        accumulate: accumulate, preciseActivations: weight.preciseActivations)
                }
                column += part.outDim
            }
        }
        if let b = bias {
            for r in 0..<rows { add(out + r * weight.outDim, b.pointer, count: weight.outDim) }
        }
    }

    /// A decode-size product with stacked stored parts (q, k, v; gate, up) in one parallel loop over all their rows:
    /// the activations are quantized once per activation format, and the pool syncs once instead of once per part
    /// (SmolLM2's k and v are 7 µs products, the size of a loop's start and finish).
    private static func decodeStacked(
        _ x: UnsafePointer<Float>, rows: Int, inDim: Int, parts: [QuantizedMatrix], out: UnsafeMutablePointer<Float>,
        accumulate: Bool
    ) {
        let outDim = parts.reduce(0) { $0 + $1.outDim }
        // One prepared copy of X per weight type (types of one activation format could share it; this is simpler).
        var prepared: [GGMLType: SendablePointer<UInt8>] = [:]
        var owned: [UnsafeMutableRawPointer] = []
        defer { owned.forEach { $0.deallocate() } }
        for type in Set(parts.map(\.type)) {
            let code = Int32(type.rawValue)
            let bytes = apus_quant_act_bytes(code, Int32(rows), Int32(inDim))
            guard bytes > 0 else {
                prepared[type] = SendablePointer(UnsafeMutableRawPointer(mutating: x).assumingMemoryBound(to: UInt8.self))
                continue
            }
            let act = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            owned.append(act)
            apus_quant_prepare(code, Int32(rows), Int32(inDim), x, inDim, act)
            prepared[type] = SendablePointer(act.assumingMemoryBound(to: UInt8.self))
        }
        var columns: [Int] = []
        var column = 0
        for part in parts {
            columns.append(column)
            column += part.outDim
        }
        let threads = matmulThreads(rows: rows, outDim: outDim, inDim: inDim)
        let count = threads == 1 ? 1 : min(outDim, 8 * threads)
        let o = SendablePointer(out)
        let kernel = GEMMKernel.chosen
        let (starts, operands) = (columns, prepared)
        Parallel.run(parts: count, threads: threads) { index in
            let (begin, end) = (index * outDim / count, (index + 1) * outDim / count)
            for (p, part) in parts.enumerated() {
                let lo = max(begin, starts[p]) - starts[p]
                let hi = min(end, starts[p] + part.outDim) - starts[p]
                guard lo < hi else { continue }
                let status = apus_quant_gemv(
                    kernel.rawValue, Int32(part.type.rawValue), Int32(rows), Int32(inDim), operands[part.type]!.base,
                    part.base.base, part.rowBytes, o.base + starts[p], outDim, Int32(lo), Int32(hi), accumulate ? 1 : 0)
                precondition(status == 0, "quantized GEMV (\(part.type), \(kernel)) failed with status \(status)")
            }
        }
    }
}
