import Wire

/// Consumer side of a same-host transfer: copies a read's blocks from the producer's mapped memory file into this
/// runner's cache, layer by layer, one memcpy per run of block ids consecutive on both sides (docs/disaggregation.md
/// §3).
///
/// NOTE: why the bytes are valid although the producer does not take part in the copy. Its engine-core holds the
/// blocks unchanged until the consumer's engine-core sends RELEASE, which it does only after LoadKV answered, and
/// the answer to RELEASE must name the request: a hold that expired or was dropped (timeout, runner loss) during the
/// pull makes the pull count as failed, exactly as when the bytes streamed over TCP. The mapping itself can never
/// fault: the file's size is sealed, every offset is checked against it below, and the mapping keeps the pages
/// alive if the producer replaces its cache or dies mid-copy (its engine-core then no longer holds the blocks, so
/// the RELEASE after the copy fails the pull; a restarted producer fails the ReadKV incarnation check before it).
enum KVSharedCopy {
    /// Checks the answer against the read (one K and one V offset per layer read, every block inside the file) and
    /// copies; DATA_LOSS (`KVChunkSink.Invalid`) for an answer that breaks the contract, nothing written then.
    /// Returns the bytes copied.
    static func copy(
        _ mapping: KVMapping, layers: Range<Int>, remoteBlockIDs: [Int], localBlockIDs: [Int], pages: KVPages
    ) throws -> Int {
        let source = mapping.source
        guard source.keyOffsets.count == layers.count, source.valueOffsets.count == layers.count else {
            throw KVChunkSink.Invalid(
                "shared-memory answer has \(source.keyOffsets.count) key and \(source.valueOffsets.count) value "
                    + "offsets for \(layers.count) layers")
        }
        let blockBytes = pages.blockBytes
        let span = UInt64((remoteBlockIDs.max() ?? 0) + 1) * UInt64(blockBytes)
        let size = UInt64(mapping.count)
        if let bad = (source.keyOffsets + source.valueOffsets).first(where: { span > size || $0 > size - span }) {
            throw KVChunkSink.Invalid(
                "shared-memory offset \(bad) + \(span) bytes of blocks runs past the file's \(mapping.count) bytes")
        }
        let runs = Self.runs(remote: remoteBlockIDs, local: localBlockIDs)
        for (i, layer) in layers.enumerated() {
            // NOTE: a cancelled LoadKV (its deadline, its caller gone) stops before the next layer's copy.
            try Task.checkCancellation()
            for (values, offset) in [(false, source.keyOffsets[i]), (true, source.valueOffsets[i])] {
                for run in runs {
                    guard let destination = pages.pointer(layer: layer, block: run.local, values: values) else {
                        continue
                    }
                    destination.copyMemory(
                        from: mapping.base + Int(offset) + run.remote * blockBytes, byteCount: run.count * blockBytes)
                }
            }
        }
        return 2 * layers.count * localBlockIDs.count * blockBytes
    }

    /// Runs of positions whose remote and local ids both go up by one: (first remote id, first local id, length).
    static func runs(remote: [Int], local: [Int]) -> [(remote: Int, local: Int, count: Int)] {
        var runs: [(remote: Int, local: Int, count: Int)] = []
        for (r, l) in zip(remote, local) {
            if let last = runs.last, last.remote + last.count == r, last.local + last.count == l {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((r, l, 1))
            }
        }
        return runs
    }
}
