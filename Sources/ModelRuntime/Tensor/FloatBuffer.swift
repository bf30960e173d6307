/// 64-byte-aligned f32 storage; every pointer handed out stays valid while the buffer is alive.
///
/// Weights, the KV cache and the forward workspace all live in `FloatBuffer`s so the hot loops work on raw
/// pointers (BLAS, SIMD) and threads may share them. Callers guarantee that no two threads write one element.
/// A buffer either owns its memory (`init(count:zeroed:)`) or views memory another object owns and keeps alive
/// (`init(wrapping:count:owner:)`, the KV cache's slices of one memory file).
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// What owns the memory when the buffer does not; kept alive as long as the buffer.
    private let owner: AnyObject?

    /// Allocates `count` floats, zero-filled unless `zeroed` is false.
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative buffer size \(count)")
        let capacity = max(count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: capacity)
        if zeroed { pointer.initialize(repeating: 0, count: capacity) }
        self.count = count
        owner = nil
    }

    /// Views `count` floats at `pointer` (64-byte aligned, initialized) that `owner` keeps valid while it lives.
    public init(wrapping pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        precondition(count >= 0, "negative buffer size \(count)")
        precondition(Int(bitPattern: pointer) % 64 == 0, "a wrapped buffer must be 64-byte aligned")
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    deinit { if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() } }

    public var byteCount: Int { count * MemoryLayout<Float>.stride }

    /// A copy of the contents, for tests and small reads.
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
