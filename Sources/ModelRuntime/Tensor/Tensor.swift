/// A dense, row-major f32 tensor: a shape over a `FloatBuffer` (several tensors may share one buffer,
/// e.g. tied embeddings).
public struct Tensor: Sendable {
    public let shape: [Int]
    public let storage: FloatBuffer

    /// A zero-filled tensor of `shape`.
    public init(shape: [Int]) {
        self.shape = shape
        self.storage = FloatBuffer(count: shape.reduce(1, *))
    }

    public init(shape: [Int], storage: FloatBuffer) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) elements")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor holding `values` (tests and small constants).
    public init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == storage.count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    public var count: Int { storage.count }
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer }
    public var byteCount: Int { storage.byteCount }
    public func toArray() -> [Float] { storage.toArray() }
}
