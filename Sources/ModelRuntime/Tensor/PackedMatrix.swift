import CKernels

/// A linear layer's weight `[outDim, inDim]` packed once, at load time, for `CKernels`' GEMM: panels of
/// `APUS_PANEL` output rows stored k-major, so every matmul streams each panel front to back and no call packs
/// W again (OpenBLAS repacks W on every call: a second read and write of every weight).
public struct PackedMatrix: Sendable {
    public let outDim: Int
    public let inDim: Int
    let storage: FloatBuffer

    /// Packs `t` (`[outDim, inDim]`, row-major).
    public init(packing t: Tensor) {
        precondition(t.shape.count == 2, "a linear weight is 2-D, not \(t.shape)")
        outDim = t.shape[0]
        inDim = t.shape[1]
        storage = FloatBuffer(count: apus_packed_count(Int32(outDim), Int32(inDim)), zeroed: false)
        apus_pack_panels(Int32(outDim), Int32(inDim), t.pointer, inDim, storage.pointer)
    }

    /// Output rows per panel.
    static let panel = Int(APUS_PANEL)

    var panels: Int { (outDim + Self.panel - 1) / Self.panel }
    var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }
    public var byteCount: Int { storage.byteCount }

    /// The weight back in its `[outDim, inDim]` layout (tests and inspection).
    public func unpacked() -> Tensor {
        let t = Tensor(shape: [outDim, inDim])
        apus_unpack_panels(Int32(outDim), Int32(inDim), pointer, t.pointer)
        return t
    }

    /// The row-major values, as `Tensor.toArray()` gives them.
    public func toArray() -> [Float] { unpacked().toArray() }
}
