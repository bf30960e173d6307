/// One tensor of a GGUF file: name, shape, type and where its bytes are.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml's `ne`: the innermost (contiguous) dimension first. A PyTorch `[out, in]` weight is `[in, out]` here.
    public let dimensions: [Int]
    public let type: GGMLType
    /// The byte range in the file (already checked to lie inside it).
    public let range: Range<Int>

    /// The shape in PyTorch order (outermost first): `[out, in]` for a linear weight.
    public var shape: [Int] { dimensions.reversed() }

    public var elementCount: Int { dimensions.reduce(1, *) }
}
