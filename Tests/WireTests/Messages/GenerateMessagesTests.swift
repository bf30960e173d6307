import ServingCore
import Testing

@testable import Wire

@Suite("Generate messages on the wire")
struct GenerateMessagesTests {
    @Test("GenerateRequest round-trips empty, maximal and unicode values")
    func generateRequest() throws {
        try expectRoundTrips([
            ApusV1.GenerateRequest(),
            ApusV1.GenerateRequest(
                requestID: MessageSamples.longString, promptTokenIDs: MessageSamples.manyTokens + MessageSamples.extremeTokens,
                samplingParams: MessageSamples.maximalSamplingParams, eosTokenID: .min, priority: .max,
                cacheSalt: MessageSamples.longString, loraName: String(repeating: "x", count: 4096),
                arrivalTimeUS: .max, sessionKey: MessageSamples.unicode),
            ApusV1.GenerateRequest(
                requestID: MessageSamples.unicode, promptTokenIDs: [1, 2, 3], samplingParams: MessageSamples.unicodeSamplingParams,
                eosTokenID: 0, priority: .min, cacheSalt: MessageSamples.unicode2, loraName: "ロラ", sessionKey: "🔑"),
        ])
    }

    @Test("eos_token_id 0 and no eos_token_id stay distinct")
    func eosTokenZeroIsNotNil() throws {
        #expect(try roundTrip(ApusV1.GenerateRequest(eosTokenID: 0)).eosTokenID == 0)
        #expect(try roundTrip(ApusV1.GenerateRequest()).eosTokenID == nil)
    }

    @Test("a GenerateRequest without sampling_params decodes with vLLM's default sampling params")
    func absentSamplingParamsAreDefaults() throws {
        // Only field 1 (request_id = "a").
        let decoded = try ApusV1.GenerateRequest(decoding: [0x0A, 0x01, 0x61])
        #expect(decoded.requestID == "a")
        #expect(decoded.samplingParams == SamplingParams())
    }

    @Test("GenerateOutput round-trips empty, maximal and unicode values, every finish and stop reason")
    func generateOutput() throws {
        var outputs: [ApusV1.GenerateOutput] = [
            ApusV1.GenerateOutput(),
            ApusV1.GenerateOutput(
                requestID: MessageSamples.longString, newTokenIDs: MessageSamples.manyTokens,
                newLogprobs: (0..<2_000).map { MessageSamples.logprobs($0) } + [MessageSamples.maximalLogprobs],
                promptLogprobs: (0..<1_000).map { MessageSamples.logprobs($0, topK: 0) }, finishReason: .length,
                stopReason: .tokenID(.min), numCachedTokens: .max, engineTimestampUS: .max,
                engineID: MessageSamples.longString, errorMessage: MessageSamples.longString),
            ApusV1.GenerateOutput(
                requestID: MessageSamples.unicode, newTokenIDs: [7], finishReason: .stop, stopReason: .string(MessageSamples.unicode),
                engineID: "エンジン-1", errorMessage: MessageSamples.unicode2),
        ]
        for reason in FinishReason.allCases {
            outputs.append(ApusV1.GenerateOutput(requestID: "r", finishReason: reason))
        }
        outputs.append(ApusV1.GenerateOutput(finishReason: .stop, stopReason: .tokenID(.max)))
        outputs.append(ApusV1.GenerateOutput(finishReason: .stop, stopReason: .string("")))
        try expectRoundTrips(outputs)
    }

    @Test("a stop string that is empty is still a stop string, not 'no stop reason'")
    func emptyStopStringSurvives() throws {
        #expect(try roundTrip(ApusV1.GenerateOutput(stopReason: .string(""))).stopReason == .string(""))
    }

    @Test("PositionLogprobs and Logprob round-trip empty and maximal values")
    func logprobs() throws {
        try expectRoundTrips([
            PositionLogprobs(tokenIDs: [], logprobs: [], sampledRank: 0), MessageSamples.maximalLogprobs,
            PositionLogprobs(
                tokenIDs: MessageSamples.manyTokens, logprobs: MessageSamples.manyTokens.map { -Float($0 & 0xFFFF) },
                sampledRank: 1),
        ])
        try expectRoundTrips([
            ApusV1.Logprob(), ApusV1.Logprob(tokenID: .max, logprob: -.infinity),
            ApusV1.Logprob(tokenID: .min, logprob: -.greatestFiniteMagnitude),
        ])
    }
}
