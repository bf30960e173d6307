import Foundation
import ModelRuntime
import Synchronization
import Testing
import Wire

@testable import RunnerServer

/// Same-host transfers: the producer's cache in a memory file, the consumer copying from its own mapping of it.
@Suite("KV transfer through shared memory")
struct KVSharedMemoryTests {
    @Test("A KV cache in a memory file is zeroed, 64-byte aligned, one slice per layer's K and V inside the file")
    func cacheInMemoryFile() throws {
        let cache = KVCache(numLayers: 3, numBlocks: 5, blockSize: 16, numKVHeads: 2, headDim: 30, inMemoryFile: true)
        let file = try #require(cache.memoryFile)
        let offsets = (cache.keys + cache.values).map { cache.fileOffset(of: $0)! }
        let sliceBytes = 5 * 16 * 2 * 30 * 4
        #expect(Set(offsets).count == 6 && offsets.allSatisfy { $0 % 64 == 0 && $0 + sliceBytes <= file.count })
        #expect((cache.keys + cache.values).allSatisfy { $0.toArray().allSatisfy { $0 == 0 } })
        let plain = KVCache(numLayers: 3, numBlocks: 5, blockSize: 16, numKVHeads: 2, headDim: 30)
        #expect(plain.memoryFile == nil && plain.fileOffset(of: plain.keys[0]) == nil)
    }

    @Test("LoadKV copies every layer bit for bit from the producer's memory file, and says it did")
    func bytesLandBitIdentical() async throws {
        let producer = try KVTest.backend(incarnation: "producer", sharedMemory: true)
        let consumer = try KVTest.backend(incarnation: "consumer")
        let remote = [3, 7, 8, 9, 30]
        let local = [20, 2, 11, 12, 0]
        KVTest.fill(producer.kvPages()!, blocks: remote)
        try await KVTest.serve(producer) { p in
            try await KVTest.serve(consumer) { c in
                let result = try await KVTest.loadKV(c, ApusV1.LoadKVRequest(
                    requestID: "r1", sources: [KVTest.source(p, remote.map(UInt32.init), incarnation: "producer")],
                    localBlockIDs: local.map(UInt32.init)))
                #expect(result.sharedMemorySources == 1)
                #expect(result.numBlocks == 5 && result.bytes == UInt64(5 * 4 * 2 * 4096))
            }
        }
        KVTest.expectCopied(consumer.kvPages()!, local: local, remote: remote)
        KVTest.expectZero(consumer.kvPages()!, except: Set(local))
    }

    @Test("Runs consecutive on both sides are one copy each")
    func runs() {
        let runs = KVSharedCopy.runs(remote: [4, 5, 6, 9, 10, 11], local: [1, 2, 7, 8, 9, 3])
        #expect(runs.map { [$0.remote, $0.local, $0.count] } == [[4, 1, 2], [6, 7, 1], [9, 8, 2], [11, 3, 1]])
    }

    @Test("Two producer stages feed a one-stage consumer and two consumer stages through shared memory")
    func pipelineStages() async throws {
        let producers = try (0..<2).map { try KVTest.backend(stage: $0, of: 2, sharedMemory: true) }
        let remote = [5, 6, 1]
        let local = [9, 10, 11]
        for p in producers { KVTest.fill(p.kvPages()!, blocks: remote) }
        let whole = try KVTest.backend()
        let halves = try (0..<2).map { try KVTest.backend(stage: $0, of: 2, incarnation: "c\($0)") }
        try await KVTest.serve(producers[0]) { p0 in
            try await KVTest.serve(producers[1]) { p1 in
                let request = ApusV1.LoadKVRequest(
                    requestID: "r",
                    sources: [
                        KVTest.source(p0, remote.map(UInt32.init), layers: 0..<2, incarnation: "inc-0-of-2"),
                        KVTest.source(p1, remote.map(UInt32.init), layers: 2..<4, incarnation: "inc-1-of-2"),
                    ],
                    localBlockIDs: local.map(UInt32.init))
                try await KVTest.serve(whole) { c in
                    let r = try await KVTest.loadKV(c, request)
                    #expect(r.sharedMemorySources == 2 && r.bytes == UInt64(3 * 4 * 2 * 4096))
                }
                for half in halves {
                    try await KVTest.serve(half) { c in
                        let r = try await KVTest.loadKV(c, request)
                        #expect(r.sharedMemorySources == 1 && r.bytes == UInt64(3 * 2 * 2 * 4096))
                    }
                }
            }
        }
        KVTest.expectCopied(whole.kvPages()!, local: local, remote: remote)
        for half in halves { KVTest.expectCopied(half.kvPages()!, local: local, remote: remote) }
        KVTest.expectZero(whole.kvPages()!, except: Set(local))
    }

    @Test("A consumer with shared memory off, or a producer in ordinary memory, streams over TCP")
    func offStreams() async throws {
        let inFile = try KVTest.backend(incarnation: "f", sharedMemory: true)
        let plain = try KVTest.backend(incarnation: "p")
        for p in [inFile, plain] { KVTest.fill(p.kvPages()!, blocks: [1, 2]) }
        for (producer, offer) in [(inFile, false), (plain, true)] {
            let consumer = try KVTest.backend()
            try await KVTest.serve(producer) { p in
                try await KVTest.serve(consumer, sharedMemory: offer) { c in
                    let r = try await KVTest.loadKV(
                        c, ApusV1.LoadKVRequest(sources: [KVTest.source(p, [1, 2])], localBlockIDs: [4, 3]))
                    #expect(r.sharedMemorySources == 0 && r.bytes == UInt64(2 * 4 * 2 * 4096))
                }
            }
            KVTest.expectCopied(consumer.kvPages()!, local: [4, 3], remote: [1, 2])
        }
    }

    /// A producer that answers every offer with `answer` and streams real chunks from `backend` otherwise; counts
    /// the offers it saw.
    final class Offers: Sendable {
        let count = Mutex(0)
    }

    static func answering(
        _ answer: ApusV1.KVSharedMemory, backend: ModelRunnerBackend, offers: Offers = Offers()
    ) -> RPCHandlers {
        var h = RPCHandlers()
        h.serverStreaming(RPCMethod.readKV) { (r: ApusV1.ReadKVRequest, _, writer: RPCStreamWriter<ApusV1.KVChunk>) in
            if r.readerHost != nil {
                offers.count.withLock { $0 += 1 }
                try writer.send(ApusV1.KVChunk(sharedMemory: answer))
            } else {
                try await KVReader.stream(r, pages: backend.kvPages()!, to: writer)
            }
        }
        return h
    }

    @Test("A memory file that cannot be mapped falls back to TCP, and that producer is not offered again for a while")
    func unmappableFallsBack() async throws {
        let producer = try KVTest.backend(incarnation: "p", sharedMemory: true)
        KVTest.fill(producer.kvPages()!, blocks: [1, 2, 3])
        let real = try #require(producer.kvPages()!.sharedMemory(layers: 0..<4))
        var bogusFD = real
        bogusFD.fd = 99_999
        var otherFile = real
        otherFile.inode += 1
        var deadPID = real
        deadPID.pid = UInt32(Int32.max)
        for answer in [bogusFD, otherFile, deadPID] {
            let consumer = try KVTest.backend()
            let offers = Offers()
            try await KVTest.serve(Self.answering(answer, backend: producer, offers: offers)) { p in
                try await KVTest.serve(consumer) { c in
                    for _ in 0..<2 {
                        let r = try await KVTest.loadKV(
                            c, ApusV1.LoadKVRequest(sources: [KVTest.source(p, [1, 2, 3])], localBlockIDs: [7, 8, 30]))
                        #expect(r.sharedMemorySources == 0 && r.bytes == UInt64(3 * 4 * 2 * 4096))
                    }
                }
            }
            #expect(offers.count.withLock { $0 } == 1, "the second pull did not offer shared memory again")
            KVTest.expectCopied(consumer.kvPages()!, local: [7, 8, 30], remote: [1, 2, 3])
        }
    }

    @Test("A shared-memory answer that breaks the contract is DATA_LOSS and writes nothing")
    func badAnswers() async throws {
        let producer = try KVTest.backend(incarnation: "p", sharedMemory: true)
        let real = try #require(producer.kvPages()!.sharedMemory(layers: 0..<4))
        var pastEnd = real
        pastEnd.valueOffsets[3] = real.size - 4096
        var fewOffsets = real
        fewOffsets.keyOffsets.removeLast()
        let consumer = try KVTest.backend()
        try await KVTest.serve(consumer) { c in
            for (answer, words) in [(pastEnd, "runs past the file"), (fewOffsets, "3 key and 4 value offsets")] {
                try await KVTest.serve(Self.answering(answer, backend: producer)) { p in
                    await KVTest.expectError(.dataLoss, ["producer runner \(p)", words]) {
                        _ = try await KVTest.loadKV(c, ApusV1.LoadKVRequest(
                            sources: [KVTest.source(p, [1, 2])], localBlockIDs: [5, 6]))
                    }
                }
            }
            // An answer to a read that did not offer shared memory.
            let unasked = KVTransferRefusalTests.malicious([ApusV1.KVChunk(sharedMemory: real).encoded()])
            try await KVTest.serve(unasked) { p in
                try await KVTest.serve(try KVTest.backend(), sharedMemory: false) { offFree in
                    await KVTest.expectError(.dataLoss, ["did not offer"]) {
                        _ = try await KVTest.loadKV(offFree, ApusV1.LoadKVRequest(
                            sources: [KVTest.source(p, [1])], localBlockIDs: [5]))
                    }
                }
            }
        }
        KVTest.expectZero(consumer.kvPages()!)
    }

    @Test("A producer that replaces its cache is mapped afresh: the consumer never copies from the old file")
    func replacedCacheIsRemapped() async throws {
        let producer = try KVTest.backend(incarnation: "p", sharedMemory: true)
        let consumer = try KVTest.backend()
        try await KVTest.serve(producer) { p in
            try await KVTest.serve(consumer) { c in
                let request = ApusV1.LoadKVRequest(sources: [KVTest.source(p, [2])], localBlockIDs: [6])
                KVTest.fill(producer.kvPages()!, blocks: [2])
                #expect(try await KVTest.loadKV(c, request).sharedMemorySources == 1)
                KVTest.expectCopied(consumer.kvPages()!, local: [6], remote: [2])
                let old = producer.kvPages()!.sharedMemory(layers: 0..<4)!
                _ = try producer.initializeCache(numBlocks: 32, blockSize: KVTest.blockSize)
                // Block 3 holds its pattern only in the new file (the old one, still mapped here, has zeros there);
                // the new file may well reuse the old one's descriptor number.
                KVTest.fill(producer.kvPages()!, blocks: [3])
                #expect(producer.kvPages()!.sharedMemory(layers: 0..<4)!.inode != old.inode)
                let r = try await KVTest.loadKV(
                    c, ApusV1.LoadKVRequest(sources: [KVTest.source(p, [3])], localBlockIDs: [9]))
                #expect(r.sharedMemorySources == 1)
            }
        }
        KVTest.expectCopied(consumer.kvPages()!, local: [6, 9], remote: [2, 3])
    }
}
