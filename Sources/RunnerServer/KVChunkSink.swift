import Wire

/// Writes the chunks of one ReadKV stream into this runner's cache: each chunk is checked in full (layer, block
/// positions, byte counts, no position twice) before any of its bytes is copied, so a faulty or malicious producer
/// can never write outside the blocks the LoadKV call named. A stream may instead be one shared-memory answer (when
/// the read offered it), which the sink only records: the caller copies from the mapped file (`KVSharedCopy`).
struct KVChunkSink {
    /// A chunk or stream that breaks the contract (LoadKV answers DATA_LOSS).
    struct Invalid: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    let layers: Range<Int>
    let localBlockIDs: [Int]
    let pages: KVPages
    /// Whether the read offered to map the producer's memory (`ReadKVRequest.reader_host`).
    let offeredSharedMemory: Bool
    /// Per (layer, block position): written already.
    private var written: [Bool]
    private(set) var bytes = 0
    /// The producer's shared-memory answer, the stream's only chunk.
    private(set) var sharedMemory: ApusV1.KVSharedMemory?

    init(layers: Range<Int>, localBlockIDs: [Int], pages: KVPages, offeredSharedMemory: Bool = false) {
        self.layers = layers
        self.localBlockIDs = localBlockIDs
        self.pages = pages
        self.offeredSharedMemory = offeredSharedMemory
        written = Array(repeating: false, count: layers.count * localBlockIDs.count)
    }

    mutating func write(_ payload: UnsafeRawBufferPointer) throws {
        let chunk: ApusV1.KVChunk.Fields
        do {
            chunk = try ApusV1.KVChunk.Fields(parsing: payload)
        } catch {
            throw Invalid("undecodable KVChunk: \(error.message)")
        }
        guard sharedMemory == nil else { throw Invalid("a chunk after the shared-memory answer") }
        if let range = chunk.sharedMemory {
            guard offeredSharedMemory else { throw Invalid("a shared-memory answer to a read that did not offer it") }
            guard bytes == 0 else { throw Invalid("a shared-memory answer after chunks of bytes") }
            do {
                sharedMemory = try ApusV1.KVSharedMemory(decoding: UnsafeRawBufferPointer(rebasing: payload[range]))
            } catch {
                throw Invalid("undecodable KVSharedMemory: \(error.message)")
            }
            return
        }
        let (layer, offset, count) = (Int(chunk.layer), Int(chunk.blockOffset), Int(chunk.numBlocks))
        guard layers.contains(layer) else {
            throw Invalid("chunk of layer \(layer), outside the layers read [\(layers.lowerBound), \(layers.upperBound))")
        }
        guard count > 0, offset <= localBlockIDs.count, count <= localBlockIDs.count - offset else {
            throw Invalid("chunk of block positions [\(offset), \(offset + count)) of \(localBlockIDs.count) blocks")
        }
        let blockBytes = pages.blockBytes
        let side = count * blockBytes
        guard chunk.keys.count == side, chunk.values.count == side else {
            throw Invalid(
                "chunk of \(count) blocks carries \(chunk.keys.count) bytes of keys and \(chunk.values.count) of "
                    + "values, not \(side) each")
        }
        let row = (layer - layers.lowerBound) * localBlockIDs.count
        if let repeated = (offset..<(offset + count)).first(where: { written[row + $0] }) {
            throw Invalid("layer \(layer), block position \(repeated) sent twice")
        }
        let base = payload.baseAddress!
        for i in 0..<count {
            written[row + offset + i] = true
            let block = localBlockIDs[offset + i]
            if let k = pages.pointer(layer: layer, block: block, values: false),
               let v = pages.pointer(layer: layer, block: block, values: true) {
                k.copyMemory(from: base + chunk.keys.lowerBound + i * blockBytes, byteCount: blockBytes)
                v.copyMemory(from: base + chunk.values.lowerBound + i * blockBytes, byteCount: blockBytes)
            }
        }
        bytes += 2 * side
    }

    /// Throws unless every block of every layer arrived, or the shared-memory answer did.
    func finish() throws {
        guard sharedMemory == nil else { return }
        let missing = written.count { !$0 }
        guard missing == 0 else {
            throw Invalid("stream ended with \(missing) of \(written.count) (layer, block) pairs missing")
        }
    }
}
