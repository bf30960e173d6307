/// The paged KV cache: per layer one K and one V tensor of `numBlocks × blockSize × numKVHeads × headDim`.
///
/// Block ids come from the engine-core's allocator; token slot `s` (= block·blockSize + offset) is the row
/// `s` of `[numBlocks·blockSize, numKVHeads·headDim]`. The cache is never cleared: a block's contents are valid
/// as long as the engine-core says so (prefix caching reuses them across requests).
public final class KVCache: @unchecked Sendable {
    public let numBlocks: Int
    public let blockSize: Int
    public let numKVHeads: Int
    public let headDim: Int
    public let keys: [FloatBuffer]
    public let values: [FloatBuffer]
    /// The memory file every layer's buffers are carved from, when the cache was asked to live in one and the
    /// system has them; nil for ordinary memory.
    public let memoryFile: MemoryFile?

    /// `inMemoryFile`: put every buffer in one shared memory file (`MemoryFile`) that runners on the same host can
    /// map to copy blocks without a socket (docs/disaggregation.md §3); ordinary memory when that fails.
    public init(
        numLayers: Int, numBlocks: Int, blockSize: Int, numKVHeads: Int, headDim: Int, inMemoryFile: Bool = false
    ) {
        precondition(numBlocks > 0 && blockSize > 0, "empty KV cache")
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        let n = numBlocks * blockSize * numKVHeads * headDim
        // NOTE: zero-filled although every slot is written before it is read: the memory is committed when the
        // cache is sized, so a node short of memory fails at start rather than at the request that first reaches
        // an untouched page, and a serving runner's resident memory stays flat (the chaos soak checks it).
        // A memory file is zero-filled the same way (`MemoryFile` writes every page).
        let stride = (n * MemoryLayout<Float>.stride + 63) / 64 * 64
        if inMemoryFile, numLayers > 0, let file = MemoryFile(name: "apus-kv-cache", count: 2 * numLayers * stride) {
            func slice(_ i: Int) -> FloatBuffer {
                FloatBuffer(
                    wrapping: (file.base + i * stride).bindMemory(to: Float.self, capacity: n), count: n, owner: file)
            }
            memoryFile = file
            keys = (0..<numLayers).map { slice(2 * $0) }
            values = (0..<numLayers).map { slice(2 * $0 + 1) }
        } else {
            memoryFile = nil
            keys = (0..<numLayers).map { _ in FloatBuffer(count: n) }
            values = (0..<numLayers).map { _ in FloatBuffer(count: n) }
        }
    }

    /// Where `buffer` (one of this cache's) starts in `memoryFile`; nil without one.
    public func fileOffset(of buffer: FloatBuffer) -> Int? {
        memoryFile.map { UnsafeRawPointer($0.base).distance(to: UnsafeRawPointer(buffer.pointer)) }
    }

    public var numSlots: Int { numBlocks * blockSize }
    public var byteCount: Int { keys.reduce(0) { $0 + $1.byteCount } * 2 }
}

/// Per-layer size of the KV cache, what the engine-core needs to size it (docs/architecture.md §4.10).
public struct KVCacheSpec: Sendable, Equatable, Codable {
    public var numLayers: Int
    public var numKVHeads: Int
    public var headDim: Int
    /// Bytes per cached element (4: the cache is f32).
    public var dtypeBytes: Int

    public init(numLayers: Int, numKVHeads: Int, headDim: Int, dtypeBytes: Int) {
        self.numLayers = numLayers
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.dtypeBytes = dtypeBytes
    }

    /// K and V of one block in one layer: `2 × blockSize × kvHeads × headDim × dtypeBytes`.
    public func pageSizeBytes(blockSize: Int) -> Int { 2 * blockSize * numKVHeads * headDim * dtypeBytes }

    /// One block across all layers.
    public func bytesPerBlock(blockSize: Int) -> Int { pageSizeBytes(blockSize: blockSize) * numLayers }
}
