import ApusTestSupport
import Engine
import Foundation
import ServingCore
import Testing
import Wire

@testable import RunnerServer

@Suite("Runner-to-runner KV transfer over RPC")
struct KVTransferTests {
    @Test("LoadKV copies every layer's K and V bit for bit into other block ids, and nothing else")
    func bytesLandBitIdentical() async throws {
        let producer = try KVTest.backend(incarnation: "producer")
        let consumer = try KVTest.backend(incarnation: "consumer")
        let remote = [3, 7, 8, 9, 30]
        let local = [20, 2, 11, 12, 0]
        KVTest.fill(producer.kvPages()!, blocks: remote)
        try await KVTest.serve(producer) { producerAddress in
            try await KVTest.serve(consumer) { consumerAddress in
                let result = try await KVTest.loadKV(consumerAddress, ApusV1.LoadKVRequest(
                    requestID: "r1",
                    sources: [KVTest.source(producerAddress, remote.map(UInt32.init), incarnation: "producer")],
                    localBlockIDs: local.map(UInt32.init)))
                #expect(result.numBlocks == 5)
                #expect(result.bytes == UInt64(5 * 4 * 2 * 4096))
            }
        }
        KVTest.expectCopied(consumer.kvPages()!, local: local, remote: remote)
        KVTest.expectZero(consumer.kvPages()!, except: Set(local))
    }

    @Test("A producer split in two stages feeds a one-stage consumer, and two stages feed two stages")
    func pipelineStages() async throws {
        let producers = try (0..<2).map { try KVTest.backend(stage: $0, of: 2) }
        let remote = [5, 6, 1]
        let local = [9, 10, 11]
        for p in producers { KVTest.fill(p.kvPages()!, blocks: remote) }
        #expect(producers.map { $0.kvPages()!.layers } == [0..<2, 2..<4])
        let whole = try KVTest.backend()
        let halves = try (0..<2).map { try KVTest.backend(stage: $0, of: 2, incarnation: "c\($0)") }
        try await KVTest.serve(producers[0]) { p0 in
            try await KVTest.serve(producers[1]) { p1 in
                let sources = [
                    KVTest.source(p0, remote.map(UInt32.init), layers: 0..<2, incarnation: "inc-0-of-2"),
                    KVTest.source(p1, remote.map(UInt32.init), layers: 2..<4, incarnation: "inc-1-of-2"),
                ]
                let request = ApusV1.LoadKVRequest(requestID: "r", sources: sources, localBlockIDs: local.map(UInt32.init))
                try await KVTest.serve(whole) { c in
                    let r = try await KVTest.loadKV(c, request)
                    #expect(r.bytes == UInt64(3 * 4 * 2 * 4096))
                }
                for half in halves {
                    // Each consumer stage gets both sources and reads only from the one holding its layers.
                    try await KVTest.serve(half) { c in
                        let r = try await KVTest.loadKV(c, request)
                        #expect(r.bytes == UInt64(3 * 2 * 2 * 4096))
                    }
                }
            }
        }
        KVTest.expectCopied(whole.kvPages()!, local: local, remote: remote)
        for half in halves { KVTest.expectCopied(half.kvPages()!, local: local, remote: remote) }
        KVTest.expectZero(whole.kvPages()!, except: Set(local))
    }

    @Test("Chunks stay within the reader's size and gather runs of consecutive blocks")
    func chunking() throws {
        let pages = try KVTest.backend().kvPages()!
        let plan = try KVReadPlan(
            ApusV1.ReadKVRequest(
                layout: pages.layout, blockIDs: [4, 5, 6, 9, 10], firstLayer: 1, endLayer: 3, maxChunkBytes: 3 * 8192),
            pages: pages)
        #expect(plan.chunks == [
            .init(layer: 1, blockOffset: 0, numBlocks: 3), .init(layer: 1, blockOffset: 3, numBlocks: 2),
            .init(layer: 2, blockOffset: 0, numBlocks: 3), .init(layer: 2, blockOffset: 3, numBlocks: 2),
        ])
        #expect(plan.runs(of: plan.chunks[0]).map { [$0.block, $0.count] } == [[4, 3]])
        #expect(plan.runs(of: plan.chunks[1]).map { [$0.block, $0.count] } == [[9, 2]])
        let small = try KVReadPlan(
            ApusV1.ReadKVRequest(layout: pages.layout, blockIDs: [1, 2], firstLayer: 0, endLayer: 1, maxChunkBytes: 1),
            pages: pages)
        #expect(small.blocksPerChunk == 1, "a block pair is the smallest chunk")
    }

    @Test("Describe and Execute answer while a transfer is in flight; a busy backend queue does not hold up transfers")
    func transfersDoNotWaitBehindTheQueue() async throws {
        // A producer that never answers keeps the consumer's LoadKV in flight.
        var stalled = RPCHandlers()
        stalled.serverStreaming(RPCMethod.readKV) { (_: ApusV1.ReadKVRequest, _, _: RPCStreamWriter<ApusV1.KVChunk>) in
            try await Task.sleep(for: .seconds(30))
        }
        let consumer = try KVTest.backend()
        try await KVTest.serve(stalled) { producer in
            try await KVTest.serve(consumer) { c in
                let load = Task {
                    try await KVTest.loadKV(c, ApusV1.LoadKVRequest(
                        sources: [KVTest.source(producer, [1])], localBlockIDs: [2]), timeout: .seconds(3))
                }
                try await Task.sleep(for: .milliseconds(200))
                let client = KVTest.client(c)
                let start = ContinuousClock.now
                let d = try await client.unary(RPCMethod.describe, ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self)
                var params = SamplingParams()
                params.temperature = 0
                let step = ApusV1.SchedulerOutput(stepID: 1, scheduledNewReqs: [ApusV1.NewRequestData(
                    reqID: "a", promptTokenIDs: [5, 6, 7], samplingParams: params, blockIDs: [3], numComputedTokens: 0,
                    numScheduledTokens: 3)])
                let out = try await client.unary(RPCMethod.execute, step, as: ApusV1.ModelRunnerOutput.self)
                #expect(d.model == "embedded" && out.reqIDs == ["a"])
                #expect(start.duration(to: .now) < .seconds(2), "Describe/Execute waited for the transfer")
                await client.close()
                await KVTest.expectError(.deadlineExceeded, [producer]) { _ = try await load.value }
            }
        }

        // Fake runners: a 2 s step holds the producer's and the consumer's queues while a transfer runs.
        let profile = Engine.RunnerProfile(
            model: "scripted", vocabSize: 512, maxModelLen: 4096, numLayers: 2, numKVHeads: 1, headDim: 16,
            dtypeBytes: 4, availableKVBytes: 1 << 20)
        let fakes = (0..<2).map { ScriptedRunnerBackend(profile: profile, incarnation: "fake\($0)", stepDelay: .seconds(2)) }
        for f in fakes { _ = try f.initializeCache(numBlocks: 64, blockSize: 16) }
        try await KVTest.serve(fakes[0]) { p in
            try await KVTest.serve(fakes[1]) { c in
                let busy = [p, c].map { address in
                    Task {
                        let client = KVTest.client(address)
                        _ = try await client.unary(
                            RPCMethod.execute, ApusV1.SchedulerOutput(stepID: 1), as: ApusV1.ModelRunnerOutput.self)
                        await client.close()
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
                let start = ContinuousClock.now
                let r = try await KVTest.loadKV(c, ApusV1.LoadKVRequest(
                    sources: [KVTest.source(p, Array(0..<32), layers: 0..<2, incarnation: "fake0")],
                    localBlockIDs: Array(32..<64)))
                #expect(r.bytes == UInt64(32 * 2 * 2 * 16 * 16 * 4), "a fake streams zeros of the right size")
                #expect(start.duration(to: .now) < .seconds(1), "the transfer waited for a step")
                for b in busy { try await b.value }
            }
        }
    }

    @Test("Several MiB in the default chunk size arrive whole")
    func defaultChunks() async throws {
        let producer = try KVTest.backend(blocks: 400)
        let consumer = try KVTest.backend(blocks: 400)
        let remote = Array(0..<200)
        let local = Array(200..<400)
        KVTest.fill(producer.kvPages()!, blocks: remote)
        try await KVTest.serve(producer) { p in
            try await KVTest.serve(consumer, maxChunkBytes: 0) { c in
                let r = try await KVTest.loadKV(c, ApusV1.LoadKVRequest(
                    sources: [KVTest.source(p, remote.map(UInt32.init))], localBlockIDs: local.map(UInt32.init)))
                #expect(r.bytes == UInt64(200 * 4 * 2 * 4096))
            }
        }
        KVTest.expectCopied(consumer.kvPages()!, local: local, remote: remote)
    }
}
