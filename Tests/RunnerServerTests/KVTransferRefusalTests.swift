import Foundation
import Testing
import Wire

@testable import RunnerServer

@Suite("KV transfer refusals and failures")
struct KVTransferRefusalTests {
    func readKV(_ address: String, _ request: ApusV1.ReadKVRequest) async throws {
        let c = KVTest.client(address)
        defer { Task { await c.close() } }
        for try await _ in try await c.serverStream(RPCMethod.readKV, request, as: ApusV1.KVChunk.self) {}
    }

    @Test("ReadKV refuses a layout, incarnation or cache it does not have, and bad blocks or layers")
    func readRefusals() async throws {
        let producer = try KVTest.backend(stage: 1, of: 2)
        let layout = producer.kvPages()!.layout
        func request(_ edit: (inout ApusV1.ReadKVRequest) -> Void) -> ApusV1.ReadKVRequest {
            var r = ApusV1.ReadKVRequest(layout: layout, blockIDs: [1], firstLayer: 2, endLayer: 4)
            edit(&r)
            return r
        }
        try await KVTest.serve(producer) { p in
            try await readKV(p, request { _ in })
            let fields: [(String, (inout ApusV1.KVLayout) -> Void, String)] = [
                ("model", { $0.model = "other" }, "model is embedded here, other in the request"),
                ("block_size", { $0.blockSize = 32 }, "block_size is 16 here, 32 in the request"),
                ("num_kv_heads", { $0.numKVHeads = 8 }, "num_kv_heads is 2 here, 8 in the request"),
                ("head_dim", { $0.headDim = 64 }, "head_dim is 32 here, 64 in the request"),
                ("dtype_bytes", { $0.dtypeBytes = 2 }, "dtype_bytes is 4 here, 2 in the request"),
                ("num_layers_total", { $0.numLayersTotal = 5 }, "num_layers_total is 4 here, 5 in the request"),
            ]
            for (_, edit, words) in fields {
                await KVTest.expectError(.failedPrecondition, ["layout mismatch", words]) {
                    try await readKV(p, request { edit(&$0.layout!) })
                }
            }
            await KVTest.expectError(.failedPrecondition, ["incarnation gone", "inc-1-of-2", "restarted"]) {
                try await readKV(p, request { $0.incarnationID = "gone" })
            }
            await KVTest.expectError(.invalidArgument, ["block id 32", "32 blocks"]) {
                try await readKV(p, request { $0.blockIDs = [1, 32] })
            }
            await KVTest.expectError(.invalidArgument, ["block_ids is empty"]) {
                try await readKV(p, request { $0.blockIDs = [] })
            }
            for (first, end) in [(0, 4), (3, 3), (2, 5), (3, 2)] as [(UInt32, UInt32)] {
                await KVTest.expectError(.invalidArgument, ["bad layer range [\(first), \(end))", "layers [2, 4)"]) {
                    try await readKV(p, request { $0.firstLayer = first; $0.endLayer = end })
                }
            }
            await KVTest.expectError(.invalidArgument, ["layout"]) { try await readKV(p, request { $0.layout = nil }) }
        }
        try await KVTest.serve(try KVTest.backend(blocks: 0)) { p in
            await KVTest.expectError(.failedPrecondition, ["not initialized"]) { try await readKV(p, request { _ in }) }
        }
    }

    @Test("LoadKV refuses what it cannot serve before writing, and passes a producer's refusal on with its address")
    func loadRefusals() async throws {
        let producer = try KVTest.backend(incarnation: "p")
        let consumer = try KVTest.backend()
        KVTest.fill(producer.kvPages()!, blocks: Array(0..<32))
        try await KVTest.serve(producer) { p in
            try await KVTest.serve(consumer) { c in
                func load(_ sources: [ApusV1.KVLoadSource], _ local: [UInt32]) async throws {
                    _ = try await KVTest.loadKV(
                        c, ApusV1.LoadKVRequest(requestID: "x", sources: sources, localBlockIDs: local))
                }
                await KVTest.expectError(.invalidArgument, ["local_block_ids is empty"]) {
                    try await load([KVTest.source(p, [])], [])
                }
                await KVTest.expectError(.invalidArgument, ["local block id 40", "32 blocks"]) {
                    try await load([KVTest.source(p, [1, 2])], [1, 40])
                }
                await KVTest.expectError(.invalidArgument, ["names no source"]) { try await load([], [1]) }
                await KVTest.expectError(.invalidArgument, ["lists 1 remote blocks for 2 local blocks"]) {
                    try await load([KVTest.source(p, [1])], [1, 2])
                }
                await KVTest.expectError(.invalidArgument, ["bad layer range [2, 2)"]) {
                    try await load([KVTest.source(p, [1], layers: 2..<2)], [1])
                }
                await KVTest.expectError(.invalidArgument, ["bad layer range [0, 9)"]) {
                    try await load([KVTest.source(p, [1], layers: 0..<9)], [1])
                }
                await KVTest.expectError(.invalidArgument, ["layer 3", "covered by no source"]) {
                    try await load([KVTest.source(p, [1], layers: 0..<3)], [1])
                }
                await KVTest.expectError(.invalidArgument, ["both cover"]) {
                    try await load([KVTest.source(p, [1], layers: 0..<3), KVTest.source(p, [1], layers: 2..<4)], [1])
                }
                await KVTest.expectError(.invalidArgument, ["HOST:PORT"]) { try await load([KVTest.source("nowhere", [1])], [1]) }
                // The producer's refusals, passed on with its address.
                await KVTest.expectError(.invalidArgument, ["producer runner \(p)", "block id 99"]) {
                    try await load([KVTest.source(p, [99])], [1])
                }
                await KVTest.expectError(.failedPrecondition, ["producer runner \(p)", "incarnation old"]) {
                    try await load([KVTest.source(p, [1], incarnation: "old")], [1])
                }
                KVTest.expectZero(consumer.kvPages()!)
                await KVTest.expectError(.unavailable, ["producer runner 127.0.0.1:1"]) {
                    try await load([KVTest.source("127.0.0.1:1", [1])], [1])
                }
            }
            // Another block size on the consumer: the producer says which field and both values.
            try await KVTest.serve(try KVTest.backend(blockSize: 8)) { c in
                await KVTest.expectError(.failedPrecondition, ["producer runner \(p)", "block_size is 16 here, 8 in the request"]) {
                    _ = try await KVTest.loadKV(c, ApusV1.LoadKVRequest(sources: [KVTest.source(p, [1])], localBlockIDs: [1]))
                }
            }
            try await KVTest.serve(try KVTest.backend(blocks: 0)) { c in
                await KVTest.expectError(.failedPrecondition, ["not initialized"]) {
                    _ = try await KVTest.loadKV(c, ApusV1.LoadKVRequest(sources: [KVTest.source(p, [1])], localBlockIDs: [1]))
                }
            }
        }
    }

    /// A producer that answers ReadKV with `chunks` (encoded payloads) and then ends the stream.
    static func malicious(_ chunks: [[UInt8]]) -> RPCHandlers {
        var h = RPCHandlers()
        h.serverStreaming(RPCMethod.readKV) { (_: ApusV1.ReadKVRequest, _, writer: RPCStreamWriter<ApusV1.KVChunk>) in
            for c in chunks { try writer.sendEncoded(c) }
        }
        return h
    }

    @Test("Garbage from a producer is DATA_LOSS: nothing is written outside the named blocks and the runner lives on")
    func garbageChunks() async throws {
        let consumer = try KVTest.backend()
        let side = 4096
        func chunk(layer: UInt32 = 0, offset: UInt32 = 0, blocks: UInt32 = 1, keys: Int = 4096, values: Int = 4096) -> [UInt8] {
            ApusV1.KVChunk(
                layer: layer, blockOffset: offset, numBlocks: blocks, keys: Array(repeating: 7, count: keys),
                values: Array(repeating: 7, count: values)
            ).encoded()
        }
        let cases: [([[UInt8]], String)] = [
            ([chunk(keys: side - 4)], "4092 bytes of keys"),
            ([chunk(values: side + 4)], "4100 of values"),
            ([chunk(keys: 2 * side, values: 2 * side)], "8192 bytes of keys and 8192 of values, not 4096 each"),
            ([chunk(offset: 1)], "block positions [1, 2) of 1 blocks"),
            ([chunk(offset: UInt32.max)], "block positions"),
            ([chunk(blocks: 0, keys: 0, values: 0)], "block positions [0, 0)"),
            ([chunk(layer: 4)], "layer 4, outside"),
            ([[0xFF, 0xFF, 0xFF]], "undecodable"),
            ([[0x22, 0x7F, 0x00]], "undecodable"),
            ([[0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]], "out of range"),
            ([chunk(), chunk()], "sent twice"),
            ([chunk()], "missing"),
        ]
        try await KVTest.serve(consumer) { c in
            for (chunks, words) in cases {
                try await KVTest.serve(Self.malicious(chunks)) { p in
                    await KVTest.expectError(.dataLoss, ["producer runner \(p)", words]) {
                        _ = try await KVTest.loadKV(c, ApusV1.LoadKVRequest(
                            sources: [KVTest.source(p, [5])], localBlockIDs: [9]))
                    }
                }
            }
        }
        // Only valid chunks ever wrote (into block 9, the one named); every other block is untouched.
        KVTest.expectZero(consumer.kvPages()!, except: [9])
    }

    @Test("A producer that dies mid-stream is UNAVAILABLE at once; one that stalls is DEADLINE_EXCEEDED on time")
    func lostAndStalledProducers() async throws {
        let consumer = try KVTest.backend()
        let sent = AsyncStream<Void>.makeStream()
        var h = RPCHandlers()
        h.serverStreaming(RPCMethod.readKV) { (_: ApusV1.ReadKVRequest, _, writer: RPCStreamWriter<ApusV1.KVChunk>) in
            try writer.send(ApusV1.KVChunk(
                layer: 0, numBlocks: 1, keys: Array(repeating: 1, count: 4096), values: Array(repeating: 1, count: 4096)))
            sent.continuation.yield()
            try await Task.sleep(for: .seconds(60))
        }
        try await KVTest.serve(consumer) { c in
            let server = RPCServer(host: "127.0.0.1", port: 0, identity: .init(service: "runner"), handlers: h)
            let serverTask = Task { try await server.run() }
            let p = "127.0.0.1:\(try await server.boundAddress().port!)"
            let load = Task {
                try await KVTest.loadKV(c, ApusV1.LoadKVRequest(sources: [KVTest.source(p, [5])], localBlockIDs: [9]))
            }
            for await _ in sent.stream { break }
            let killed = ContinuousClock.now
            serverTask.cancel()  // the producer's connections close, as when its process dies
            await KVTest.expectError(.unavailable, ["producer runner \(p)"]) { _ = try await load.value }
            #expect(killed.duration(to: .now) < .seconds(2))

            try await KVTest.serve(h) { stalled in
                let start = ContinuousClock.now
                await KVTest.expectError(.deadlineExceeded, []) {
                    _ = try await KVTest.loadKV(
                        c, ApusV1.LoadKVRequest(sources: [KVTest.source(stalled, [5])], localBlockIDs: [9]),
                        timeout: .seconds(1))
                }
                let waited = start.duration(to: .now)
                #expect(waited >= .milliseconds(900) && waited < .seconds(3), "\(waited)")
                // The loader itself keeps the deadline (not only the RPC layer's timers around it).
                let direct = ContinuousClock.now
                await KVTest.expectError(.deadlineExceeded, ["producer runner \(stalled)"]) {
                    _ = try await KVLoader().load(
                        ApusV1.LoadKVRequest(sources: [KVTest.source(stalled, [5])], localBlockIDs: [9]),
                        pages: consumer.kvPages()!, deadline: .now + .seconds(1))
                }
                #expect(direct.duration(to: .now) < .seconds(3))
            }
        }
    }
}
