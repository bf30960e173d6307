import Wire

/// Producer side of a KV transfer: streams the K/V bytes of the blocks a ReadKV call names, straight from the cache
/// into each frame (one copy per byte; docs/disaggregation.md §3), or, to a reader on this host when the cache is in
/// a memory file, answers where that file is and sends no bytes.
enum KVReader {
    /// Frames queued on the connection beyond which the reader waits for the socket: two chunks keep the socket
    /// busy while the next one is gathered, and the queue far under its 64 MiB cut-off.
    static func sendWindow(_ plan: KVReadPlan, _ pages: KVPages) -> Int { 2 * plan.blocksPerChunk * 2 * pages.blockBytes }

    static func stream(
        _ request: ApusV1.ReadKVRequest, pages: KVPages, to writer: RPCStreamWriter<ApusV1.KVChunk>
    ) async throws {
        let plan = try KVReadPlan(request, pages: pages)
        if let reader = request.readerHost, reader == ApusV1.KVHostIdentity.current,
           let shared = pages.sharedMemory(layers: plan.layers) {
            // NOTE: nothing to wait for: the reader copies from its own mapping of the file, which keeps the pages
            // alive even if this cache is replaced or this process dies meanwhile (KVSharedMemoryCopy).
            try writer.send(ApusV1.KVChunk(sharedMemory: shared))
            return
        }
        let blockBytes = pages.blockBytes
        // A runner without KV memory (the fake) sends zeros: one zeroed block stands for every block.
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: pages.cache == nil ? blockBytes : 0, alignment: 64)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        func segments(_ chunk: KVReadPlan.Chunk, values: Bool) -> [UnsafeRawBufferPointer] {
            plan.runs(of: chunk).flatMap { run -> [UnsafeRawBufferPointer] in
                guard let start = pages.pointer(layer: chunk.layer, block: run.block, values: values) else {
                    return Array(repeating: UnsafeRawBufferPointer(zeros), count: run.count)
                }
                return [UnsafeRawBufferPointer(start: start, count: run.count * blockBytes)]
            }
        }
        let window = sendWindow(plan, pages)
        for chunk in plan.chunks {
            try await writer.waitForRoom(maxQueuedBytes: window)
            let (layer, offset, count) = (UInt32(chunk.layer), UInt32(chunk.blockOffset), UInt32(chunk.numBlocks))
            let size = ApusV1.KVChunk.encodedSize(
                layer: layer, blockOffset: offset, numBlocks: count, sideBytes: chunk.numBlocks * blockBytes)
            let keys = segments(chunk, values: false)
            let values = segments(chunk, values: true)
            try writer.send(payloadSize: size) { out in
                ApusV1.KVChunk.write(
                    layer: layer, blockOffset: offset, numBlocks: count, keys: keys, values: values, into: out)
            }
        }
    }
}
