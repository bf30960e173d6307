import CApusProto
import ServingCore
import Testing

@testable import Wire

/// Bytes as a C or C++ peer produces them: the generated struct filled through the C API and packed with the
/// generated `…__pack` function, with no Swift conversion code involved.
@Suite("Messages from a C peer")
struct CPeerInteropTests {
    @Test("a GenerateRequest packed by C code decodes, with absent sampling params as vLLM's defaults")
    func generateRequestFromC() throws {
        var tokens: [Int32] = [1, 2, 3, .max]
        let bytes = try "req-C ✓".withCString { id in
            tokens.withUnsafeMutableBufferPointer { ids in
                var m = Apus__V1__GenerateRequest()
                apus__v1__generate_request__init(&m)
                m.request_id = UnsafeMutablePointer(mutating: id)
                m.n_prompt_token_ids = ids.count
                m.prompt_token_ids = ids.baseAddress
                m.has_eos_token_id = 1
                m.eos_token_id = 0
                m.priority = -3
                let size = apus__v1__generate_request__get_packed_size(&m)
                var out = [UInt8](repeating: 0, count: size)
                #expect(apus__v1__generate_request__pack(&m, &out) == size)
                return out
            }
        }
        let decoded = try ApusV1.GenerateRequest(decoding: bytes)
        #expect(
            decoded
                == ApusV1.GenerateRequest(
                    requestID: "req-C ✓", promptTokenIDs: [1, 2, 3, .max], samplingParams: SamplingParams(),
                    eosTokenID: 0, priority: -3))
    }

    @Test("a HealthCheckResponse packed by C code decodes to the same status")
    func healthFromC() throws {
        var m = Apus__V1__HealthCheckResponse()
        apus__v1__health_check_response__init(&m)
        m.status = APUS__V1__SERVING_STATUS__SERVING_STATUS_NOT_SERVING
        var out = [UInt8](repeating: 0, count: apus__v1__health_check_response__get_packed_size(&m))
        _ = apus__v1__health_check_response__pack(&m, &out)
        #expect(try ApusV1.HealthCheckResponse(decoding: out).status == .notServing)
    }

    @Test("Swift's bytes unpack with the generated C unpack function")
    func swiftBytesUnpackInC() throws {
        let output = ApusV1.GenerateOutput(
            requestID: "r", newTokenIDs: [5, 6], finishReason: .stop, stopReason: .string("</s>"))
        let bytes = output.encoded()
        let m = try #require(apus__v1__generate_output__unpack(nil, bytes.count, bytes))
        defer { apus__v1__generate_output__free_unpacked(m, nil) }
        #expect(String(cString: m.pointee.request_id) == "r")
        #expect(Array(UnsafeBufferPointer(start: m.pointee.new_token_ids, count: m.pointee.n_new_token_ids)) == [5, 6])
        #expect(m.pointee.finish_reason == APUS__V1__FINISH_REASON__FINISH_REASON_STOP)
        #expect(m.pointee.stop_reason_case == APUS__V1__GENERATE_OUTPUT__STOP_REASON_STOP_STRING)
        #expect(String(cString: m.pointee.stop_string) == "</s>")
    }
}
