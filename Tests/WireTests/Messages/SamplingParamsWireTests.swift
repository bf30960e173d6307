import CApusProto
import ServingCore
import Testing

@testable import Wire

@Suite("SamplingParams on the wire")
struct SamplingParamsWireTests {
    @Test("default, maximal and unicode sampling params round-trip unchanged")
    func roundTrips() throws {
        try expectRoundTrips([SamplingParams(), MessageSamples.maximalSamplingParams, MessageSamples.unicodeSamplingParams])
    }

    @Test("optionals travel as has_x flags: nil and zero stay distinct")
    func optionalsStayDistinct() throws {
        var zeroes = SamplingParams()
        zeroes.seed = 0
        zeroes.logprobs = 0
        zeroes.promptLogprobs = 0
        zeroes.allowedTokenIDs = []
        let decoded = try roundTrip(zeroes)
        #expect(decoded.seed == 0)
        #expect(decoded.logprobs == 0)
        #expect(decoded.promptLogprobs == 0)
        #expect(decoded.allowedTokenIDs == [])
        let unset = try roundTrip(SamplingParams())
        #expect(unset.seed == nil && unset.logprobs == nil && unset.promptLogprobs == nil)
        #expect(unset.allowedTokenIDs == nil)
    }

    @Test("logit_bias is encoded sorted by token id, so equal params encode to equal bytes")
    func logitBiasIsSorted() throws {
        var a = SamplingParams()
        var b = SamplingParams()
        let ids: [TokenID] = [900, -5, 3, 77_777, 0, 12]
        for id in ids { a.logitBias[id] = Float(id) / 10 }
        for id in ids.reversed() { b.logitBias[id] = Float(id) / 10 }
        #expect(a.encoded() == b.encoded())

        let arena = CArena()
        let c = UnsafeRawPointer(a.cMessage(in: arena)).assumingMemoryBound(to: Apus__V1__SamplingParams.self).pointee
        let sent = (0..<c.n_logit_bias).map { c.logit_bias[$0]!.pointee.token_id }
        #expect(sent == ids.sorted())
    }

    @Test("a careless C client's allowed_token_ids without has_allowed_token_ids still counts as set")
    func allowedTokenIDsWithoutFlag() throws {
        // Field 18 (allowed_token_ids), packed: tag 0x92 0x01, length 2, values 5 and 7.
        let decoded = try SamplingParams(decoding: [0x92, 0x01, 0x02, 0x05, 0x07])
        #expect(decoded.allowedTokenIDs == [5, 7])
    }

    @Test("structured outputs round-trip; an unknown or missing kind fails to decode instead of dropping the constraint")
    func structuredOutputs() throws {
        for kind in [StructuredOutputsParams.Kind.json, .regex, .choice, .grammar, .jsonObject] {
            var p = SamplingParams()
            p.structuredOutputs = StructuredOutputsParams(kind: kind, spec: "{\"type\": \"integer\"}", choice: ["a", "b"])
            #expect(try roundTrip(p) == p)
        }
        // Field 27 (structured_outputs), tag 0xDA 0x01, holding field 1 (kind) = 9, a kind this build does not know.
        #expect(throws: WireDecodingError.self) { try SamplingParams(decoding: [0xDA, 0x01, 0x02, 0x08, 0x09]) }
        // An empty message: kind NONE.
        #expect(throws: WireDecodingError.self) { try SamplingParams(decoding: [0xDA, 0x01, 0x00]) }
        // The retired field 23 is skipped as unknown.
        #expect(try SamplingParams(decoding: [0xBA, 0x01, 0x02, 0x7B, 0x7D]) == SamplingParams(decoding: []))
    }

    @Test("TokenBias and TokenIDList round-trip on their own")
    func helperMessages() throws {
        try expectRoundTrips([
            ApusV1.TokenBias(), ApusV1.TokenBias(tokenID: .max, bias: .greatestFiniteMagnitude),
            ApusV1.TokenBias(tokenID: .min, bias: -.infinity),
        ])
        try expectRoundTrips([
            ApusV1.TokenIDList(), ApusV1.TokenIDList(tokenIDs: MessageSamples.manyTokens),
            ApusV1.TokenIDList(tokenIDs: MessageSamples.extremeTokens),
        ])
    }
}
