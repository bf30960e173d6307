import Foundation
import ServingCore
import Testing
import Wire

/// Two real `apus runner` processes: a prefill computed on one lands bit for bit in the other's blocks.
@Suite("KV transfer between runner processes", .serialized)
struct KVTransferProcessTests {
    /// Every chunk's K and V bytes of `blocks`, layer by layer, read with ReadKV (each layer's blocks in order).
    static func read(_ c: RPCClient, _ layout: ApusV1.KVLayout, _ blocks: [UInt32]) async throws -> [UInt32: [UInt8]] {
        var bytes: [UInt32: [UInt8]] = [:]
        let request = ApusV1.ReadKVRequest(layout: layout, blockIDs: blocks, firstLayer: 0, endLayer: 4)
        for try await chunk in try await c.serverStream(RPCMethod.readKV, request, as: ApusV1.KVChunk.self) {
            bytes[chunk.layer, default: []] += chunk.keys + chunk.values
        }
        return bytes
    }

    @Test("a real prefill's KV, pulled through shared memory and over TCP, reads back identical; a killed producer is UNAVAILABLE")
    func prefillMovesBetweenProcesses() async throws {
        let args = ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1"]
        let producer = try await ApusProcess(args, name: "producer")
        defer { producer.stop() }
        let consumer = try await ApusProcess(args, name: "consumer")
        defer { consumer.stop() }
        let tcpConsumer = try await ApusProcess(args + ["--kv-transfer-shared-memory", "off"], name: "tcp-consumer")
        defer { tcpConsumer.stop() }
        let (p, c, t) = (client(producer.wirePort), client(consumer.wirePort), client(tcpConsumer.wirePort))
        let d = try await p.unary(RPCMethod.describe, ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self)
        for r in [p, c, t] {
            _ = try await r.unary(
                RPCMethod.initializeCache, ApusV1.InitializeCacheRequest(numBlocks: 64, blockSize: 16),
                as: ApusV1.InitializeCacheResponse.self)
        }
        var params = SamplingParams()
        params.temperature = 0
        let prompt: [TokenID] = Array(5..<45)  // 40 tokens: blocks 10, 11 and part of 12
        _ = try await p.unary(RPCMethod.execute, ApusV1.SchedulerOutput(stepID: 1, scheduledNewReqs: [
            ApusV1.NewRequestData(
                reqID: "a", promptTokenIDs: prompt, samplingParams: params, blockIDs: [10, 11, 12], numComputedTokens: 0,
                numScheduledTokens: UInt32(prompt.count)),
        ]), as: ApusV1.ModelRunnerOutput.self)
        let load = ApusV1.LoadKVRequest(
            requestID: "a",
            sources: [ApusV1.KVLoadSource(
                address: producer.wireAddress, remoteBlockIDs: [10, 11, 12], firstLayer: 0, endLayer: 4,
                incarnationID: d.incarnationID)],
            localBlockIDs: [40, 3, 41])
        let blockBytes = 16 * 2 * 32 * 4  // per layer, K or V
        let layout = ApusV1.KVLayout(model: d.model, blockSize: 16, numKVHeads: 2, headDim: 32, dtypeBytes: 4, numLayersTotal: 4)
        let computed = try await Self.read(p, layout, [10, 11, 12])
        #expect(computed.count == 4 && computed[0]!.contains { $0 != 0 }, "the prefill wrote KV")
        for (consumerClient, sharedMemorySources) in [(c, 1), (t, 0)] as [(RPCClient, UInt32)] {
            let result = try await consumerClient.unary(
                RPCMethod.loadKV, load, as: ApusV1.LoadKVResult.self, timeout: .seconds(10))
            #expect(result.numBlocks == 3)
            #expect(result.bytes == UInt64(3 * 4 * 2 * blockBytes))
            #expect(result.sharedMemorySources == sharedMemorySources)
            #expect(try await Self.read(consumerClient, layout, [40, 3, 41]) == computed)
        }

        producer.kill9()
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        do {
            _ = try await c.unary(RPCMethod.loadKV, ApusV1.LoadKVRequest(
                sources: [ApusV1.KVLoadSource(
                    address: producer.wireAddress, remoteBlockIDs: [10], firstLayer: 0, endLayer: 4)],
                localBlockIDs: [5]), as: ApusV1.LoadKVResult.self, timeout: .seconds(10))
            Issue.record("expected UNAVAILABLE")
        } catch let e as RPCError {
            #expect(e.code == .unavailable && e.message.contains(producer.wireAddress), "\(e)")
        }
        #expect(start.duration(to: .now) < .seconds(2))
        for r in [p, c, t] { await r.close() }
    }
}
