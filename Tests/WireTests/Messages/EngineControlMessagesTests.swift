import ServingCore
import Testing

@testable import Wire

@Suite("Engine control messages on the wire")
struct EngineControlMessagesTests {
    @Test("Abort, GetLoad, WatchLoad, SubscribeKVEvents and GetModelInfo requests round-trip")
    func requests() throws {
        try expectRoundTrips([
            ApusV1.AbortRequest(), ApusV1.AbortRequest(requestIDs: [MessageSamples.unicode, "", MessageSamples.longString]),
            ApusV1.AbortRequest(requestIDs: (0..<10_000).map { "cmpl-\($0)-\(MessageSamples.unicode2)" }),
        ])
        try expectRoundTrips([ApusV1.AbortResponse(), ApusV1.AbortResponse(numAborted: .max)])
        try expectRoundTrips([ApusV1.GetLoadRequest()])
        try expectRoundTrips([
            ApusV1.WatchLoadRequest(), ApusV1.WatchLoadRequest(intervalUS: .max),
            ApusV1.WatchLoadRequest(intervalUS: 50_000, heartbeatUS: .max),
        ])
        try expectRoundTrips([ApusV1.SubscribeKVEventsRequest(), ApusV1.SubscribeKVEventsRequest(fromSeq: .max)])
        try expectRoundTrips([ApusV1.GetModelInfoRequest()])
    }

    @Test("an empty message encodes to zero bytes and decodes from zero bytes")
    func emptyMessages() throws {
        #expect(ApusV1.GetLoadRequest().encoded().isEmpty)
        #expect(try ApusV1.GetLoadRequest(decoding: []) == ApusV1.GetLoadRequest())
        #expect(try ApusV1.LoadReport(decoding: []) == ApusV1.LoadReport())
    }

    @Test("LoadReport round-trips empty, maximal and unicode values")
    func loadReport() throws {
        try expectRoundTrips([
            ApusV1.LoadReport(),
            ApusV1.LoadReport(
                engineID: MessageSamples.longString, numRunning: .max, numWaiting: .max,
                kvCacheUsage: .greatestFiniteMagnitude,
                prefixCacheQueries: .max, prefixCacheHits: .max, numPreemptions: .max, stepCounter: .max,
                lastStepTimeUS: .max, numGPUBlocks: .max, numFreeBlocks: .max, numStreams: .max, stepInFlight: true,
                stepElapsedUS: .max, stepNumScheduledTokens: .max, lastStepDurationUS: .max,
                lastStepNumScheduledTokens: .max, runnerSilenceUS: .max),
            ApusV1.LoadReport(engineID: MessageSamples.unicode, numRunning: 3, kvCacheUsage: 0.5, prefixCacheHits: 1),
        ])
    }

    @Test("a runner silence of zero (just heard) stays distinct from an unknown one")
    func runnerSilenceZero() throws {
        let heard = ApusV1.LoadReport(stepInFlight: true, runnerSilenceUS: 0)
        #expect(try ApusV1.LoadReport(decoding: heard.encoded()).runnerSilenceUS == 0)
        #expect(try ApusV1.LoadReport(decoding: ApusV1.LoadReport().encoded()).runnerSilenceUS == nil)
    }

    @Test("KVEvent and KVEventBatch round-trip empty, maximal and unicode values")
    func kvEvents() throws {
        let big = ApusV1.KVEvent(
            seq: .max, kind: .stored,
            blockHashes: (0..<10_000).map { i in MessageSamples.hash32.map { $0 &+ UInt8(i & 0xFF) } },
            parentBlockHash: MessageSamples.allBytes, blockSize: .max, loraName: MessageSamples.longString)
        let events: [ApusV1.KVEvent] = [
            ApusV1.KVEvent(), big,
            ApusV1.KVEvent(seq: 1, kind: .removed, blockHashes: [MessageSamples.hash32, []], loraName: MessageSamples.unicode),
            ApusV1.KVEvent(seq: 2, kind: .cleared), ApusV1.KVEvent(kind: .unrecognized(.max)),
        ]
        try expectRoundTrips(events)
        try expectRoundTrips([
            ApusV1.KVEventBatch(), ApusV1.KVEventBatch(engineID: MessageSamples.unicode, events: events),
            ApusV1.KVEventBatch(engineID: "e", events: Array(repeating: events[2], count: 5_000)),
        ])
    }

    @Test("ModelInfo round-trips empty, maximal and unicode values")
    func modelInfo() throws {
        try expectRoundTrips([
            ApusV1.ModelInfo(),
            ApusV1.ModelInfo(
                model: MessageSamples.longString, servedModelNames: (0..<1_000).map { "model-\($0)" }, maxModelLen: .max,
                vocabSize: .max, blockSize: .max, numGPUBlocks: .max, eosTokenIDs: MessageSamples.extremeTokens,
                bosTokenID: .min, engineID: MessageSamples.longString, blockHashSeed: String(repeating: "f", count: 64),
                architecture: MessageSamples.longString),
            ApusV1.ModelInfo(
                model: "Qwen/Qwen2.5-0.5B-Instruct", servedModelNames: [MessageSamples.unicode, MessageSamples.unicode2],
                eosTokenIDs: [151_645], bosTokenID: 0, engineID: "engine-🦅", architecture: "Qwen2ForCausalLM"),
        ])
    }
}
