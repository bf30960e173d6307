import ServingCore
import Testing
import Wire

@testable import RequestRouting

/// The router forwards Generate requests as the bytes it received, reading only routing fields.
@Suite("Forwarded Generate messages")
struct ForwardedGenerateTests {
    @Test("a request's routing fields are peeked from its bytes, which stay as they came")
    func request() throws {
        var params = SamplingParams()
        params.stop = ["STOP"]
        params.seed = 42
        let message = ApusV1.GenerateRequest(
            requestID: "cmpl-1", promptTokenIDs: [1, -5, 70_000, .max], samplingParams: params, eosTokenID: 2,
            priority: 3, cacheSalt: "salt", loraName: "adapter", arrivalTimeUS: 99, sessionKey: "user-9")
        let bytes = message.encoded()
        let forwarded = try ForwardedRequest(bytes, readPrompt: true)
        #expect(forwarded.bytes == bytes)
        #expect(forwarded.requestID == "cmpl-1" && forwarded.sessionKey == "user-9")
        #expect(forwarded.cacheSalt == "salt" && forwarded.loraName == "adapter")
        #expect(forwarded.promptTokenIDs == [1, -5, 70_000, .max])
        #expect(try ForwardedRequest(bytes, readPrompt: false).promptTokenIDs.isEmpty)
        // What the engine-core decodes is exactly what the api encoded.
        #expect(try ApusV1.GenerateRequest(decoding: forwarded.bytes) == message)
    }

    @Test("a truncated request is refused")
    func truncatedRequest() {
        let bytes = ApusV1.GenerateRequest(requestID: "cmpl-2", promptTokenIDs: [1, 2, 3]).encoded()
        #expect(throws: WireDecodingError.self) { try ForwardedRequest(Array(bytes.dropLast()), readPrompt: true) }
    }
}
