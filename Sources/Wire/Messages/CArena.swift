#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Owns the C memory a message's protobuf-c form points at: the structs, strings, arrays and pointer arrays.
///
/// A bump allocator over a chain of malloc'd chunks: allocation is a pointer increment, and everything is
/// freed at once in `deinit` (or kept for reuse by `reset()`). It sits on the hot path — every engine step
/// encodes a `SchedulerOutput` — so it never frees individual blocks and never zeroes memory; callers
/// initialise what they allocate. Not thread-safe: one arena belongs to one encoding at a time.
public final class CArena {
    /// Every chunk starts with this header: the previous chunk and this chunk's usable size, so the chain frees
    /// without a Swift array.
    private static let headerSize = 16
    private static let alignment = 16
    private static let maxChunkSize = 1 << 20
    /// `reset()` gives memory back instead of keeping it once the arena holds more than this.
    private static let maxRetainedBytes = 64 << 20

    private var head: UnsafeMutableRawPointer?
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private var nextChunkSize: Int

    /// - Parameter capacity: bytes of the first chunk; later chunks double up to 1 MiB.
    public init(capacity: Int = 4096) {
        precondition(capacity > 0, "CArena capacity must be positive")
        self.nextChunkSize = capacity
    }

    deinit { freeChunks() }

    /// Forgets every allocation and keeps the memory: afterwards one chunk as large as all chunks so far, so an
    /// arena reused for each engine step stops calling malloc once it has seen its largest step (past 64 MiB it
    /// frees everything instead, so one huge message does not pin its memory). Pointers handed out before are
    /// invalid.
    public func reset() {
        guard let first = head else { return }
        let total = capacity
        if first.load(as: UnsafeMutableRawPointer?.self) == nil, total <= Self.maxRetainedBytes {
            cursor = first + Self.headerSize
            remaining = total
            return
        }
        freeChunks()
        guard total <= Self.maxRetainedBytes else { return }
        nextChunkSize = total
        addChunk(minimum: total)
        nextChunkSize = min(total * 2, max(Self.maxChunkSize, total))
    }

    /// Bytes held in chunks (used and free), and how many chunks hold them.
    var capacity: Int { chunkSizes.reduce(0, +) }
    var chunkSizes: [Int] {
        var sizes: [Int] = []
        var chunk = head
        while let c = chunk {
            sizes.append(c.load(fromByteOffset: 8, as: Int.self))
            chunk = c.load(as: UnsafeMutableRawPointer?.self)
        }
        return sizes
    }

    /// Uninitialised, 16-byte-aligned memory for `count` values of `T`, valid until `reset()` or `deinit`.
    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        precondition(MemoryLayout<T>.alignment <= Self.alignment, "CArena aligns to \(Self.alignment) bytes")
        let raw = allocateBytes(MemoryLayout<T>.stride * count)
        return raw.bindMemory(to: T.self, capacity: count)
    }

    /// Raw bytes, 16-byte aligned.
    func allocateBytes(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let rounded = (max(byteCount, 1) + Self.alignment - 1) & ~(Self.alignment - 1)
        if rounded > remaining { addChunk(minimum: rounded) }
        let result = cursor!
        cursor = result + rounded
        remaining -= rounded
        return result
    }

    /// Links a new chunk in front of the chain; a request larger than the growth step gets a chunk of its size.
    private func addChunk(minimum: Int) {
        let size = max(nextChunkSize, minimum)
        nextChunkSize = min(nextChunkSize * 2, max(Self.maxChunkSize, nextChunkSize))
        guard let chunk = malloc(Self.headerSize + size) else { fatalError("CArena: out of memory (\(size) bytes)") }
        chunk.storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
        chunk.storeBytes(of: size, toByteOffset: 8, as: Int.self)
        head = chunk
        cursor = chunk + Self.headerSize
        remaining = size
    }

    private func freeChunks() {
        var chunk = head
        head = nil
        cursor = nil
        remaining = 0
        while let c = chunk {
            chunk = c.load(as: UnsafeMutableRawPointer?.self)
            free(c)
        }
    }
}
