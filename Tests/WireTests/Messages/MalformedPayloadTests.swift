import ApusBench
import CApusProto
import ServingCore
import Testing

@testable import Wire

/// Every message type this module converts, for tests that must hold for all of them.
fileprivate let allMessageTypes: [any WireMessage.Type] = [
    SamplingParams.self, PositionLogprobs.self, ApusV1.TokenBias.self, ApusV1.TokenIDList.self, ApusV1.Logprob.self,
    ApusV1.GenerateRequest.self, ApusV1.GenerateOutput.self, ApusV1.AbortRequest.self, ApusV1.AbortResponse.self,
    ApusV1.GetLoadRequest.self, ApusV1.WatchLoadRequest.self, ApusV1.LoadReport.self,
    ApusV1.SubscribeKVEventsRequest.self, ApusV1.KVEvent.self, ApusV1.KVEventBatch.self,
    ApusV1.GetModelInfoRequest.self, ApusV1.ModelInfo.self, ApusV1.Hello.self, ApusV1.HealthCheckRequest.self,
    ApusV1.HealthCheckResponse.self, ApusV1.AddBackendRequest.self, ApusV1.RemoveBackendRequest.self,
    ApusV1.ListBackendsRequest.self, ApusV1.DrainRequest.self, ApusV1.Backend.self, ApusV1.BackendList.self,
    ApusV1.DescribeRequest.self, ApusV1.KVCacheSpec.self, ApusV1.RunnerDescription.self, ApusV1.ProfileRequest.self,
    ApusV1.ProfileResult.self, ApusV1.InitializeCacheRequest.self, ApusV1.InitializeCacheResponse.self,
    ApusV1.NewRequestData.self, ApusV1.CachedRequestData.self, ApusV1.SchedulerOutput.self,
    ApusV1.RequestLogprobs.self, ApusV1.ModelRunnerOutput.self, ApusV1.ResetRequest.self, ApusV1.ResetResponse.self,
    ApusV1.IntermediateTensors.self,
]

/// Decodes and reports whether it threw; a crash would fail the whole test run.
fileprivate func decodes<M: WireMessage>(_ type: M.Type, _ bytes: [UInt8]) -> Bool {
    do {
        _ = try M(decoding: bytes)
        return true
    } catch {
        return false
    }
}

@Suite("Malformed payloads")
struct MalformedPayloadTests {
    @Test("the schema has 43 messages; every one but Frame and MetadataEntry has a Swift type")
    func everyMessageIsCovered() {
        #expect(allMessageTypes.count == 41)
        let names = Set(allMessageTypes.map { descriptorName($0.descriptor) })
        #expect(names.count == 41)
        #expect(!names.contains("apus.v1.Frame") && !names.contains("apus.v1.MetadataEntry"))
    }

    @Test("structurally broken bytes throw WireDecodingError for every message type")
    func brokenBytesThrow() {
        let broken: [[UInt8]] = [
            [0x0A, 0x05, 0x61],  // field 1, length 5, one byte
            [0x0F],  // wire type 7 does not exist
            [0x08],  // varint cut off
            [0x08] + Array(repeating: 0x80, count: 11),  // varint longer than 10 bytes
            [0x00, 0x01],  // field number 0
            [0x0D, 0x01, 0x02],  // fixed32 cut off
        ]
        for type in allMessageTypes {
            for bytes in broken {
                let accepted = decodes(type, bytes)
                #expect(!accepted, "\(type) accepted \(bytes)")
            }
        }
    }

    @Test("random garbage, truncations and bit flips never crash the decoder")
    func fuzz() {
        var rng = SplitMix64(seed: 0xA9_05)
        for type in allMessageTypes {
            for _ in 0..<300 {
                let count = Int(rng.next() % 64)
                let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                _ = decodes(type, bytes)
            }
        }
        let valid = WireMessageBenchmark.sampleSchedulerOutput(newRequests: 2, cachedRequests: 3).encoded()
        for end in 0..<valid.count {
            _ = decodes(ApusV1.SchedulerOutput.self, Array(valid[..<end]))
        }
        for _ in 0..<2_000 {
            var flipped = valid
            let bit = Int(rng.next() % UInt64(valid.count * 8))
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            _ = decodes(ApusV1.SchedulerOutput.self, flipped)
        }
    }

    @Test(
        "invalid UTF-8 in any string field throws, naming the field",
        arguments: [
            // GenerateRequest.request_id = FF FE
            ("GenerateRequest.request_id", [0x0A, 0x02, 0xFF, 0xFE] as [UInt8]),
            // GenerateRequest.sampling_params.stop[0] = FF FE (nested message, repeated string)
            ("SamplingParams.stop", [0x1A, 0x05, 0xA2, 0x01, 0x02, 0xFF, 0xFE]),
            // GenerateRequest.cache_salt = overlong "/" (C0 AF)
            ("GenerateRequest.cache_salt", [0x32, 0x02, 0xC0, 0xAF]),
        ])
    func invalidUTF8InGenerateRequest(field: String, bytes: [UInt8]) {
        #expect {
            try ApusV1.GenerateRequest(decoding: bytes)
        } throws: { error in
            (error as? WireDecodingError)?.message.contains(field) == true
        }
    }

    @Test("invalid UTF-8 is caught in repeated strings, oneofs and nested repeated messages")
    func invalidUTF8Elsewhere() {
        // AbortRequest.request_ids = ["a", C0 AF]
        #expect(throws: WireDecodingError.self) {
            try ApusV1.AbortRequest(decoding: [0x0A, 0x01, 0x61, 0x0A, 0x02, 0xC0, 0xAF])
        }
        // GenerateOutput.stop_string = a UTF-16 surrogate (ED A0 80)
        #expect(throws: WireDecodingError.self) { try ApusV1.GenerateOutput(decoding: [0x3A, 0x03, 0xED, 0xA0, 0x80]) }
        // SchedulerOutput.scheduled_new_reqs[0].req_id = a cut-off 3-byte sequence (E4 B8)
        #expect(throws: WireDecodingError.self) {
            try ApusV1.SchedulerOutput(decoding: [0x12, 0x04, 0x0A, 0x02, 0xE4, 0xB8])
        }
        // Hello.instance_id = a lone continuation byte
        #expect(throws: WireDecodingError.self) { try ApusV1.Hello(decoding: [0x1A, 0x01, 0x80]) }
    }

    @Test("enum values from a newer peer decode as unrecognized and re-encode unchanged")
    func unknownEnumValues() throws {
        let health: [UInt8] = [0x08, 0x07]
        #expect(try ApusV1.HealthCheckResponse(decoding: health).status == .unrecognized(7))
        #expect(try ApusV1.HealthCheckResponse(decoding: health).encoded() == health)
        let negative: [UInt8] = [0x08] + Array(repeating: 0xFF, count: 9) + [0x01]
        #expect(try ApusV1.HealthCheckResponse(decoding: negative).status == .unrecognized(-1))
        #expect(try ApusV1.KVEvent(decoding: [0x10, 0x63]).kind == .unrecognized(99))
        #expect(try ApusV1.Backend(decoding: [0x10, 0x2A]).state == .unrecognized(42))
    }

    @Test("a finish reason from a newer peer still means finished: it decodes as .error")
    func unknownFinishReason() throws {
        #expect(try ApusV1.GenerateOutput(decoding: [0x28, 0x09]).finishReason == .error)
        #expect(try ApusV1.GenerateOutput(decoding: [0x28, 0x00]).finishReason == nil)
    }

    @Test("converting a C message of another type throws instead of misreading memory")
    func wrongMessageType() {
        let arena = CArena()
        let c = ApusV1.Hello(service: "x").cMessage(in: arena)
        #expect(throws: WireDecodingError.self) { try ApusV1.LoadReport(cMessage: c) }
    }

    @Test("a string with an embedded NUL is cut at the NUL (protobuf-c strings are C strings)")
    func embeddedNULIsTruncated() throws {
        #expect(try roundTrip(ApusV1.HealthCheckRequest(service: "ab\0cd")).service == "ab")
    }
}
