import ModelFiles

/// A linear layer's weight `[outDim, inDim]` as the forward pass uses it: row blocks stacked in order, each either
/// f32 packed for the GEMM kernel or kept in its stored format (a GGUF quantized type, F16, BF16).
///
/// Fused projections (q/k/v, gate/up) are one weight of several parts: an f32 model fuses them into one packed
/// matrix, while stored parts stay as the file has them (a Q4_K_M file mixes Q4_K and Q6_K across q, k and v), and
/// `Kernels.linear` writes each part into its columns of the one output.
public struct LinearWeight: Sendable {
    public enum Part: Sendable {
        case packed(PackedMatrix)
        case stored(QuantizedMatrix)

        public var outDim: Int {
            switch self {
            case .packed(let m): m.outDim
            case .stored(let m): m.outDim
            }
        }

        public var inDim: Int {
            switch self {
            case .packed(let m): m.inDim
            case .stored(let m): m.inDim
            }
        }

        public var byteCount: Int {
            switch self {
            case .packed(let m): m.byteCount
            case .stored(let m): m.byteCount
            }
        }

        /// The storage type (`f32` for packed parts).
        public var type: GGMLType {
            switch self {
            case .packed: .f32
            case .stored(let m): m.type
            }
        }
    }

    public let parts: [Part]
    public let outDim: Int
    public let inDim: Int
    /// Stored parts multiply decode-size batches as int8 activations plus their int8 residual (about f32 precision),
    /// not as int8 activations alone (the LM head: int8 activations move logits by a few hundredths to tenths, enough
    /// to flip a near-tie in a greedy choice).
    public var preciseActivations = false

    public init(parts: [Part]) {
        precondition(!parts.isEmpty, "a linear weight has at least one part")
        let inDim = parts[0].inDim
        precondition(parts.allSatisfy { $0.inDim == inDim }, "parts of one linear weight share their input width")
        self.parts = parts
        self.inDim = inDim
        self.outDim = parts.reduce(0) { $0 + $1.outDim }
    }

    public init(_ packed: PackedMatrix) { self.init(parts: [.packed(packed)]) }

    public var byteCount: Int { parts.reduce(0) { $0 + $1.byteCount } }

    /// Bytes per weight read by one matmul over it (4 for f32; 0.5625 for Q4_1 …).
    public var bytesPerWeight: Double { Double(byteCount) / Double(outDim * inDim) }

    /// The weight in its `[outDim, inDim]` layout as f32 (tests and inspection).
    public func toArray() -> [Float] {
        parts.flatMap { part -> [Float] in
            switch part {
            case .packed(let m): m.toArray()
            case .stored(let m): m.dequantized().toArray()
            }
        }
    }
}

/// The token embedding table `[vocab, hidden]`: f32, or kept in its stored format and dequantized one looked-up row
/// at a time.
public enum EmbeddingTable: Sendable {
    case f32(Tensor)
    case stored(QuantizedMatrix)

    public var byteCount: Int {
        switch self {
        case .f32(let t): t.byteCount
        case .stored(let m): m.byteCount
        }
    }

    /// Writes the embedding of `id` (`hidden` floats) to `out`.
    @inline(__always)
    func lookup(_ id: Int, hidden: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32(let t): out.update(from: t.pointer + id * hidden, count: hidden)
        case .stored(let m): m.dequantizeRow(id, into: out)
        }
    }

    /// The table as f32 values (tests and inspection).
    public func toArray() -> [Float] {
        switch self {
        case .f32(let t): t.toArray()
        case .stored(let m): m.dequantized().toArray()
        }
    }
}
