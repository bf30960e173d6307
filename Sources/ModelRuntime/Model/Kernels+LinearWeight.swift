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
                    accumulate: accumulate)
            }
            column += part.outDim
        }
        if let b = bias {
            for r in 0..<rows { add(out + r * weight.outDim, b.pointer, count: weight.outDim) }
        }
    }
}
