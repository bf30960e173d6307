import ServingCore
import Testing
import Wire

@testable import RequestRouting

@Suite("The two legs of a disaggregated request")
struct KVTransferLegsTests {
    static func request() -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.maxTokens = 64
        params.minTokens = 8
        params.logprobs = 3
        params.seed = 42
        params.stopTokenIDs = [5]
        return ApusV1.GenerateRequest(
            requestID: "r", promptTokenIDs: Array(0..<33), samplingParams: params, eosTokenID: 2, priority: 1,
            cacheSalt: "salt", loraName: "a", loraPath: "/a", arrivalTimeUS: 9, sessionKey: "s")
    }

    static let produced = ApusV1.KVTransferParams(
        doRemotePrefill: true, remoteEngineID: "prefill-0", remoteRequestID: "r", remoteBlockIDs: [4, 5],
        remoteHost: "0.0.0.0", remotePort: 7000, remoteRunners: [ApusV1.KVSource(address: "10.0.0.5:9000")],
        remoteBlockSize: 16, remoteNumTokens: 33)

    @Test("the prefill leg asks for one token, no logprobs, and do_remote_decode; everything else is the client's")
    func prefillLeg() {
        let leg = KVTransferLegs.prefillRequest(Self.request())
        var expected = Self.request()
        expected.samplingParams.maxTokens = 1
        expected.samplingParams.minTokens = 0
        expected.samplingParams.logprobs = nil
        expected.kvTransferParams = ApusV1.KVTransferParams(doRemoteDecode: true)
        #expect(leg == expected)
    }

    @Test("the decode leg is the client's request with the producer's params and the dialed address")
    func decodeLeg() {
        let producer = EngineID("10.1.2.3:4567")
        let leg = KVTransferLegs.decodeRequest(Self.request(), params: Self.produced, producer: producer)
        var params = Self.produced
        params.remoteHost = "10.1.2.3"
        params.remotePort = 4567
        var expected = Self.request()
        expected.kvTransferParams = params
        #expect(leg == expected)
    }

    @Test("an IPv6 producer address loses its brackets; a producer that is no address keeps its own")
    func decodeLegAddresses() {
        let v6 = KVTransferLegs.decodeRequest(Self.request(), params: Self.produced, producer: EngineID("[::1]:80"))
        #expect(v6.kvTransferParams?.remoteHost == "::1")
        #expect(v6.kvTransferParams?.remotePort == 80)
        let named = KVTransferLegs.decodeRequest(Self.request(), params: Self.produced, producer: EngineID("p0"))
        #expect(named.kvTransferParams == Self.produced)
    }

    @Test("a decode-only leg is the client's request unchanged")
    func decodeOnlyLeg() {
        #expect(KVTransferLegs.decodeRequest(Self.request(), params: nil, producer: nil) == Self.request())
    }

    @Test("params count only from a final output that finished normally with do_remote_prefill")
    func producedParams() {
        var final = ApusV1.GenerateOutput(requestID: "r", finishReason: .length, kvTransferParams: Self.produced)
        #expect(KVTransferLegs.producedParams(final) == Self.produced)
        final.finishReason = .stop
        #expect(KVTransferLegs.producedParams(final) == Self.produced)
        final.finishReason = .abort
        #expect(KVTransferLegs.producedParams(final) == nil)
        final.finishReason = .error
        #expect(KVTransferLegs.producedParams(final) == nil)
        final.finishReason = .length
        final.kvTransferParams?.doRemotePrefill = false
        #expect(KVTransferLegs.producedParams(final) == nil)
        final.kvTransferParams = nil
        #expect(KVTransferLegs.producedParams(final) == nil)
    }

    @Test("only prompt logprobs keep a request from being disaggregated")
    func decodeOnlyReason() {
        var request = Self.request()
        #expect(KVTransferLegs.decodeOnlyReason(request) == nil)
        request.samplingParams.promptLogprobs = 0
        #expect(KVTransferLegs.decodeOnlyReason(request) == .promptLogprobs)
    }
}
