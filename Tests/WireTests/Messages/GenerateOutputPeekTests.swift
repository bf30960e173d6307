import ServingCore
import Testing

@testable import Wire

/// `GenerateOutput.finishReason(encoded:)`: what the router reads from each output it forwards.
@Suite("Finish reason of an encoded output")
struct GenerateOutputPeekTests {
    @Test("an output's finish reason is read from its bytes", arguments: [nil, .stop, .length, .abort, .error] as [FinishReason?])
    func outputs(reason: FinishReason?) throws {
        let output = ApusV1.GenerateOutput(
            requestID: "cmpl-3", newTokenIDs: [5, 6], finishReason: reason, engineID: "engine-0",
            errorMessage: reason == .error ? "boom" : "")
        #expect(try ApusV1.GenerateOutput.finishReason(encoded: output.encoded()) == reason)
    }

    @Test("a finish reason this build does not know still finishes the request, as error")
    func unknownReason() throws {
        // Field 5 (varint) = 9.
        #expect(try ApusV1.GenerateOutput.finishReason(encoded: [0x28, 0x09]) == .error)
    }

    @Test("malformed bytes throw")
    func malformed() {
        #expect(throws: WireDecodingError.self) { try ApusV1.GenerateOutput.finishReason(encoded: [0x28]) }
    }
}
