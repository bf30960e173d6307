/// Owned, 64-byte-aligned f32 storage; every pointer handed out stays valid while the buffer is alive.
///
/// Weights, the KV cache and the forward workspace all live in `FloatBuffer`s so the hot loops work on raw
/// pointers (BLAS, SIMD) and threads may share them. Callers guarantee that no two threads write one element.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` floats, zero-filled unless `zeroed` is false.
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative buffer size \(count)")
        let capacity = max(count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: capacity)
        if zeroed { pointer.initialize(repeating: 0, count: capacity) }
        self.count = count
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public var byteCount: Int { count * MemoryLayout<Float>.stride }

    /// A copy of the contents, for tests and small reads.
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
