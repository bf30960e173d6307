import CKernels
import ModelFiles

/// A linear weight `[outDim, inDim]` kept as stored: rows of `type` blocks, `rowBytes` apart.
///
/// GGUF tensors are used in place (a memory-mapped file stays the owner); `Kernels.linear(_:rows:inDim:weight:…)`
/// multiplies with it without expanding it to f32, so a step reads each weight's stored bytes once. F32 is plain
/// row-major floats (the model keeps f32 weights in `PackedMatrix`; F32 is here for completeness).
public struct QuantizedMatrix: Sendable {
    public let type: GGMLType
    public let outDim: Int
    public let inDim: Int
    public let rowBytes: Int
    let base: SendablePointer<UInt8>
    /// Keeps `base` alive: the file mapping, or the owned copy.
    let owner: any Sendable

    /// Uses `bytes` in place (e.g. a memory-mapped GGUF tensor); `owner` keeps them alive.
    ///
    /// Precondition: `inDim` is a whole number of `type` blocks (callers check and throw, naming the tensor).
    public init(type: GGMLType, outDim: Int, inDim: Int, bytes: UnsafeRawPointer, owner: any Sendable) {
        guard let rowBytes = type.rowBytes(count: inDim) else {
            preconditionFailure("a \(type) row of \(inDim) weights is not a whole number of \(type.blockSize)-blocks")
        }
        precondition(outDim >= 0, "negative outDim \(outDim)")
        self.type = type
        self.outDim = outDim
        self.inDim = inDim
        self.rowBytes = rowBytes
        self.base = SendablePointer(UnsafeMutablePointer(mutating: bytes.assumingMemoryBound(to: UInt8.self)))
        self.owner = owner
    }

    /// An owned, 64-byte-aligned copy of `bytes` (outDim × rowBytes).
    public init(type: GGMLType, outDim: Int, inDim: Int, copying bytes: UnsafeRawPointer) {
        guard let rowBytes = type.rowBytes(count: inDim) else {
            preconditionFailure("a \(type) row of \(inDim) weights is not a whole number of \(type.blockSize)-blocks")
        }
        let copy = AlignedBytes(count: outDim * rowBytes)
        copy.pointer.copyMemory(from: bytes, byteCount: outDim * rowBytes)
        self.init(type: type, outDim: outDim, inDim: inDim, bytes: copy.pointer, owner: copy)
    }

    public var byteCount: Int { outDim * rowBytes }

    public func row(_ r: Int) -> UnsafeRawPointer {
        precondition(r >= 0 && r < outDim, "row \(r) of \(outDim)")
        return UnsafeRawPointer(base.base + r * rowBytes)
    }

    var bytes: UnsafeRawPointer { UnsafeRawPointer(base.base) }

    /// Row r as f32, bit for bit as gguf-py dequantizes it (the embedding lookup dequantizes only the rows it needs).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        dequantizeRow(r, into: out, kernel: .chosen)
    }

    /// The same with a chosen kernel (every one gives the same bits; tests compare them).
    func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>, kernel: Kernels.GEMMKernel) {
        let status = apus_quant_dequantize(kernel.rawValue, Int32(type.rawValue), row(r), out, Int32(inDim))
        precondition(status == 0, "no dequantization of \(type) with \(kernel)")
    }

    /// The whole matrix as f32 (tests, --dtype float32).
    public func dequantized() -> Tensor { dequantized(kernel: .chosen) }

    func dequantized(kernel: Kernels.GEMMKernel) -> Tensor {
        let t = Tensor(shape: [outDim, inDim])
        for r in 0..<outDim { dequantizeRow(r, into: t.pointer + r * inDim, kernel: kernel) }
        return t
    }
}

/// Owned bytes, 64-byte aligned, freed with the last `QuantizedMatrix` that holds them.
final class AlignedBytes: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer

    init(count: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
    }

    deinit { pointer.deallocate() }
}
