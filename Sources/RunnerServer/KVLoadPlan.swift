import Wire

/// What one LoadKV call reads, checked before any byte is written: per source that holds some of this runner's
/// layers, the ReadKV request to send it; together the sources cover every layer of this runner exactly once.
struct KVLoadPlan {
    struct Read {
        var address: String
        var host: String
        var port: Int
        var request: ApusV1.ReadKVRequest
        var layers: Range<Int> { Int(request.firstLayer)..<Int(request.endLayer) }
    }

    let localBlockIDs: [Int]
    let reads: [Read]

    /// INVALID_ARGUMENT for an empty or out-of-range block list, lists of different lengths, a bad layer range or
    /// address, layers covered twice or not at all.
    init(_ request: ApusV1.LoadKVRequest, pages: KVPages, maxChunkBytes: Int) throws(RPCError) {
        guard !request.localBlockIDs.isEmpty else { throw RPCError(.invalidArgument, "local_block_ids is empty") }
        if let bad = request.localBlockIDs.first(where: { Int($0) >= pages.numBlocks }) {
            throw RPCError(
                .invalidArgument, "local block id \(bad) is out of range: this runner has \(pages.numBlocks) blocks")
        }
        guard !request.sources.isEmpty else { throw RPCError(.invalidArgument, "LoadKV names no source") }
        let total = Int(pages.layout.numLayersTotal)
        var reads: [Read] = []
        for (i, source) in request.sources.enumerated() {
            let name = "source \(i) (\(source.address))"
            guard let (host, port) = splitHostPort(source.address) else {
                throw RPCError(.invalidArgument, "\(name): address must be HOST:PORT")
            }
            guard source.remoteBlockIDs.count == request.localBlockIDs.count else {
                throw RPCError(
                    .invalidArgument,
                    "\(name) lists \(source.remoteBlockIDs.count) remote blocks for \(request.localBlockIDs.count) "
                        + "local blocks")
            }
            let (first, end) = (Int(source.firstLayer), Int(source.endLayer))
            guard first < end, end <= total else {
                throw RPCError(.invalidArgument, "\(name) has a bad layer range [\(first), \(end)) of \(total) layers")
            }
            let own = pages.layers
            let layers = max(first, own.lowerBound)..<max(min(end, own.upperBound), own.lowerBound)
            guard !layers.isEmpty else { continue }  // another pipeline stage's layers
            if let other = reads.first(where: { $0.layers.overlaps(layers) }) {
                throw RPCError(.invalidArgument, "\(name) and \(other.address) both cover layers of this runner")
            }
            let read = ApusV1.ReadKVRequest(
                layout: pages.layout, blockIDs: source.remoteBlockIDs, firstLayer: UInt32(layers.lowerBound),
                endLayer: UInt32(layers.upperBound), incarnationID: source.incarnationID,
                maxChunkBytes: UInt32(maxChunkBytes))
            reads.append(Read(address: source.address, host: host, port: port, request: read))
        }
        let covered = reads.reduce(0) { $0 + $1.layers.count }
        if covered < pages.layers.count {
            let missing = pages.layers.first { layer in !reads.contains { $0.layers.contains(layer) } }!
            throw RPCError(
                .invalidArgument,
                "layer \(missing) of this runner (layers [\(pages.layers.lowerBound), \(pages.layers.upperBound))) "
                    + "is covered by no source")
        }
        self.localBlockIDs = request.localBlockIDs.map(Int.init)
        self.reads = reads
    }
}
