import ApusBench
import ServingCore
import Testing

@testable import Wire

@Suite("Runner messages on the wire")
struct RunnerMessagesTests {
    @Test("Describe, Profile, InitializeCache and Reset messages round-trip empty and maximal values")
    func setupMessages() throws {
        try expectRoundTrips([ApusV1.DescribeRequest()])
        try expectRoundTrips([
            ApusV1.KVCacheSpec(),
            ApusV1.KVCacheSpec(numLayers: .max, numKVHeads: .max, headDim: .max, dtypeBytes: .max, slidingWindow: .max),
        ])
        try expectRoundTrips([
            ApusV1.ProfileRequest(), ApusV1.ProfileRequest(maxNumBatchedTokens: .max, maxNumSeqs: .max),
        ])
        try expectRoundTrips([
            ApusV1.ProfileResult(),
            ApusV1.ProfileResult(
                availableKVBytes: .max, weightsBytes: .max, peakActivationBytes: .max, totalBytes: .max,
                prefillTokenSeconds: .greatestFiniteMagnitude, decodeStepSeconds: .leastNonzeroMagnitude,
                decodeBatch: .max),
        ])
        try expectRoundTrips([
            ApusV1.InitializeCacheRequest(), ApusV1.InitializeCacheRequest(numBlocks: .max, blockSize: .max),
        ])
        try expectRoundTrips([ApusV1.InitializeCacheResponse(), ApusV1.InitializeCacheResponse(kvCacheBytes: .max)])
        try expectRoundTrips([ApusV1.ResetRequest()])
        try expectRoundTrips([ApusV1.ResetResponse()])
    }

    @Test("RunnerDescription round-trips empty, maximal and unicode values")
    func runnerDescription() throws {
        try expectRoundTrips([
            ApusV1.RunnerDescription(),
            ApusV1.RunnerDescription(
                model: MessageSamples.longString, architecture: MessageSamples.longString, vocabSize: .max, maxModelLen: .max,
                kvCacheSpecs: (0..<1_000).map { ApusV1.KVCacheSpec(numLayers: UInt32($0), headDim: .max) },
                firstLayer: .max, endLayer: .max, numLayersTotal: .max, device: MessageSamples.longString,
                incarnationID: MessageSamples.longString, eosTokenIDs: MessageSamples.extremeTokens, bosTokenID: .max,
                weightsBytes: .max),
            ApusV1.RunnerDescription(
                model: MessageSamples.unicode, architecture: "LlamaForCausalLM", kvCacheSpecs: [ApusV1.KVCacheSpec()],
                device: "cpu · 🖥️", incarnationID: MessageSamples.unicode2, bosTokenID: 0),
        ])
    }

    static let maximalNewRequest = ApusV1.NewRequestData(
        reqID: MessageSamples.longString, promptTokenIDs: MessageSamples.manyTokens, samplingParams: MessageSamples.maximalSamplingParams,
        eosTokenID: .max, blockIDs: MessageSamples.manyBlocks + [.max], numComputedTokens: .max,
        numScheduledTokens: .max, loraName: MessageSamples.unicode,
        outputTokenIDs: MessageSamples.manyTokens)

    static let maximalCachedRequest = ApusV1.CachedRequestData(
        reqID: MessageSamples.longString, resumed: true, newBlockIDs: MessageSamples.manyBlocks, numComputedTokens: .max,
        numOutputTokens: .max, numScheduledTokens: .max, newTokenIDs: MessageSamples.extremeTokens,
        allTokenIDs: MessageSamples.manyTokens)

    @Test("NewRequestData and CachedRequestData round-trip empty, maximal and unicode values")
    func requestData() throws {
        try expectRoundTrips([
            ApusV1.NewRequestData(), Self.maximalNewRequest,
            ApusV1.NewRequestData(
                reqID: MessageSamples.unicode, promptTokenIDs: [1], samplingParams: MessageSamples.unicodeSamplingParams,
                eosTokenID: 0, blockIDs: [0], loraName: MessageSamples.unicode2),
        ])
        try expectRoundTrips([
            ApusV1.CachedRequestData(), Self.maximalCachedRequest,
            ApusV1.CachedRequestData(reqID: MessageSamples.unicode, newBlockIDs: [1, 2, 3], numScheduledTokens: 1),
        ])
    }

    @Test("SchedulerOutput round-trips empty, maximal (hundreds of requests) and unicode values")
    func schedulerOutput() throws {
        try expectRoundTrips([
            ApusV1.SchedulerOutput(),
            ApusV1.SchedulerOutput(
                stepID: .max, scheduledNewReqs: [Self.maximalNewRequest, ApusV1.NewRequestData()],
                scheduledCachedReqs: [Self.maximalCachedRequest, ApusV1.CachedRequestData()],
                finishedReqIDs: [MessageSamples.longString, ""],
                intermediateTensors: ApusV1.IntermediateTensors(
                    reqIDs: [MessageSamples.unicode, ""], numTokens: [2, 1], hiddenSize: 3,
                    values: [1.5, -0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, 7, 8, 9])),
            WireMessageBenchmark.sampleSchedulerOutput(newRequests: 512, cachedRequests: 512),
            ApusV1.SchedulerOutput(
                stepID: 1, scheduledCachedReqs: [ApusV1.CachedRequestData(reqID: MessageSamples.unicode2)],
                finishedReqIDs: [MessageSamples.unicode, MessageSamples.unicode2]),
        ])
    }

    @Test("ModelRunnerOutput and RequestLogprobs round-trip empty, maximal and unicode values")
    func modelRunnerOutput() throws {
        let positions = (0..<100).map { MessageSamples.logprobs($0) }
        try expectRoundTrips([
            ApusV1.RequestLogprobs(), ApusV1.RequestLogprobs(positions: positions + [MessageSamples.maximalLogprobs]),
        ])
        try expectRoundTrips([
            ApusV1.ModelRunnerOutput(),
            ApusV1.ModelRunnerOutput(
                stepID: .max, incarnationID: MessageSamples.longString, reqIDs: (0..<1_024).map { "req-\($0)" },
                sampledTokenIDs: (0..<1_024).map { [TokenID($0), .max, .min] } + [MessageSamples.manyTokens, []],
                logprobs: (0..<256).map { _ in positions } + [[], [MessageSamples.maximalLogprobs]],
                promptLogprobs: [positions, []]),
            ApusV1.ModelRunnerOutput(
                stepID: 7, incarnationID: MessageSamples.unicode, reqIDs: [MessageSamples.unicode2], sampledTokenIDs: [[1]]),
            ApusV1.ModelRunnerOutput(
                stepID: 8, reqIDs: ["a"], sampledTokenIDs: [[]],
                intermediateTensors: ApusV1.IntermediateTensors(
                    reqIDs: ["a"], numTokens: [2048], hiddenSize: 768,
                    values: (0..<(2048 * 768)).map { Float($0) * 0.25 - 3 })),
        ])
    }

    @Test("intermediate tensors whose byte count is not a whole number of floats are refused")
    func ragged() throws {
        let good = ApusV1.IntermediateTensors(reqIDs: ["a"], numTokens: [1], hiddenSize: 1, values: [1]).encoded()
        #expect(try ApusV1.IntermediateTensors(decoding: good).values == [1])
        // Field 4 (values) is the last: its 4 bytes replaced by 3.
        var bad = Array(good.dropLast(6))
        bad += [0x22, 0x03, 1, 2, 3]
        #expect(throws: WireDecodingError.self) { _ = try ApusV1.IntermediateTensors(decoding: bad) }
    }
}
