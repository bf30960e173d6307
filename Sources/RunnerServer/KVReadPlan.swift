import Wire

/// The chunks one ReadKV call streams, checked against this runner's pages before any byte is sent: layer by layer,
/// each layer's blocks in runs that keep a chunk (keys and values) within the reader's size limit.
struct KVReadPlan: Equatable {
    struct Chunk: Equatable {
        /// Global layer index.
        var layer: Int
        /// Position of the chunk's first block in the request's `block_ids`.
        var blockOffset: Int
        var numBlocks: Int
    }

    /// 4 MiB: on loopback, 1 and 4 MiB chunks measured alike, 256 KiB a little slower, 16 MiB clearly slower (§3).
    static let defaultMaxChunkBytes = 4 << 20
    /// The most a reader may ask for, well under the 64 MiB frame limit.
    static let maxChunkBytesLimit = 32 << 20

    let blockIDs: [Int]
    let layers: Range<Int>
    let blocksPerChunk: Int

    /// Refuses a read this runner cannot serve: FAILED_PRECONDITION for a layout or incarnation that is not this
    /// runner's, INVALID_ARGUMENT for a bad layer range or block list.
    init(_ request: ApusV1.ReadKVRequest, pages: KVPages) throws(RPCError) {
        guard let layout = request.layout else { throw RPCError(.invalidArgument, "ReadKV needs the reader's layout") }
        if let why = pages.mismatch(layout) { throw RPCError(.failedPrecondition, "KV layout mismatch: \(why)") }
        if !request.incarnationID.isEmpty && request.incarnationID != pages.incarnationID {
            throw RPCError(
                .failedPrecondition,
                "incarnation \(request.incarnationID) is not this runner's (\(pages.incarnationID)): "
                    + "the runner restarted and the KV it computed is gone")
        }
        let first = Int(request.firstLayer)
        let end = Int(request.endLayer)
        guard first < end, pages.layers.lowerBound <= first, end <= pages.layers.upperBound else {
            throw RPCError(
                .invalidArgument,
                "bad layer range [\(first), \(end)): this runner holds layers [\(pages.layers.lowerBound), "
                    + "\(pages.layers.upperBound))")
        }
        guard !request.blockIDs.isEmpty else { throw RPCError(.invalidArgument, "block_ids is empty") }
        if let bad = request.blockIDs.first(where: { Int($0) >= pages.numBlocks }) {
            throw RPCError(.invalidArgument, "block id \(bad) is out of range: this runner has \(pages.numBlocks) blocks")
        }
        let limit = request.maxChunkBytes == 0
            ? Self.defaultMaxChunkBytes : min(Int(request.maxChunkBytes), Self.maxChunkBytesLimit)
        blockIDs = request.blockIDs.map(Int.init)
        layers = first..<end
        blocksPerChunk = max(1, limit / max(1, 2 * pages.blockBytes))
    }

    var chunks: [Chunk] {
        layers.flatMap { layer in
            stride(from: 0, to: blockIDs.count, by: blocksPerChunk).map { offset in
                Chunk(layer: layer, blockOffset: offset, numBlocks: min(blocksPerChunk, blockIDs.count - offset))
            }
        }
    }

    /// The chunk's blocks as runs of consecutive block ids: (first block id, number of blocks).
    func runs(of chunk: Chunk) -> [(block: Int, count: Int)] {
        var runs: [(block: Int, count: Int)] = []
        for id in blockIDs[chunk.blockOffset..<(chunk.blockOffset + chunk.numBlocks)] {
            if let last = runs.last, last.block + last.count == id {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((id, 1))
            }
        }
        return runs
    }
}
