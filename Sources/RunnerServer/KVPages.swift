#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import ModelRuntime
import Wire

/// What a KV transfer reads or writes on this runner (docs/disaggregation.md §3): the layout both ends must share,
/// this stage's layers, and the cache memory itself, retained for as long as the transfer holds this value.
///
/// Backends hand one out from any thread (`RunnerBackend.kvPages()`); a cache replaced by `initializeCache` meanwhile
/// stays allocated until the last transfer holding it ends, so no copy ever touches freed memory.
public struct KVPages: @unchecked Sendable {
    // NOTE: @unchecked: KVCache is a class of raw buffers. Transfers touch only the blocks the engine-cores name,
    // which no forward pass uses meanwhile (the producer's are held unchanged, the consumer's are unscheduled).
    public let layout: ApusV1.KVLayout
    /// The model's layers this runner holds (global indices).
    public let layers: Range<Int>
    public let numBlocks: Int
    public let incarnationID: String
    /// The memory; nil for a runner without any (the scripted fake): reads stream zeros, writes are checked and dropped.
    public let cache: KVCache?

    public init(
        layout: ApusV1.KVLayout, layers: Range<Int>, numBlocks: Int, incarnationID: String, cache: KVCache?
    ) {
        self.layout = layout
        self.layers = layers
        self.numBlocks = numBlocks
        self.incarnationID = incarnationID
        self.cache = cache
    }

    /// The pages of a runner's own `KVCache` (f32, one pair of buffers per layer of its stage).
    public init(cache: KVCache, model: String, layers: Range<Int>, numLayersTotal: Int, incarnationID: String) {
        precondition(cache.keys.count == layers.count, "the cache holds \(cache.keys.count) layers, the stage \(layers)")
        self.init(
            layout: ApusV1.KVLayout(
                model: model, blockSize: UInt32(cache.blockSize), numKVHeads: UInt32(cache.numKVHeads),
                headDim: UInt32(cache.headDim), dtypeBytes: UInt32(MemoryLayout<Float>.size),
                numLayersTotal: UInt32(numLayersTotal)),
            layers: layers, numBlocks: cache.numBlocks, incarnationID: incarnationID, cache: cache)
    }

    /// Bytes of one block of K (or of V) in one layer.
    public var blockBytes: Int {
        Int(layout.blockSize) * Int(layout.numKVHeads) * Int(layout.headDim) * Int(layout.dtypeBytes)
    }

    /// The start of block `block`'s keys (`values` false) or values in global layer `layer`; nil without memory.
    func pointer(layer: Int, block: Int, values: Bool) -> UnsafeMutableRawPointer? {
        guard let cache else { return nil }
        precondition(layers.contains(layer) && (0..<numBlocks).contains(block), "layer \(layer) block \(block) outside")
        let buffer = values ? cache.values[layer - layers.lowerBound] : cache.keys[layer - layers.lowerBound]
        return UnsafeMutableRawPointer(buffer.pointer) + block * blockBytes
    }

    /// Where a reader on this host finds `layers` of this cache (docs/disaggregation.md §3): the memory file as
    /// this process holds it and each layer's K and V offsets in it; nil when the cache is in ordinary memory.
    func sharedMemory(layers: Range<Int>) -> ApusV1.KVSharedMemory? {
        guard let cache, let file = cache.memoryFile else { return nil }
        func offsets(_ buffers: [FloatBuffer]) -> [UInt64] {
            layers.map { UInt64(cache.fileOffset(of: buffers[$0 - self.layers.lowerBound])!) }
        }
        return ApusV1.KVSharedMemory(
            pid: UInt32(getpid()), fd: file.fd, inode: file.inode, size: UInt64(file.count),
            keyOffsets: offsets(cache.keys), valueOffsets: offsets(cache.values))
    }

    /// The first field whose value differs from `other`'s, as "field: here X, request Y"; nil when they match.
    func mismatch(_ other: ApusV1.KVLayout) -> String? {
        let fields: [(String, String, String)] = [
            ("model", layout.model, other.model),
            ("block_size", "\(layout.blockSize)", "\(other.blockSize)"),
            ("num_kv_heads", "\(layout.numKVHeads)", "\(other.numKVHeads)"),
            ("head_dim", "\(layout.headDim)", "\(other.headDim)"),
            ("dtype_bytes", "\(layout.dtypeBytes)", "\(other.dtypeBytes)"),
            ("num_layers_total", "\(layout.numLayersTotal)", "\(other.numLayersTotal)"),
        ]
        return fields.first { $0.1 != $0.2 }.map { "\($0.0) is \($0.1) here, \($0.2) in the request" }
    }
}
