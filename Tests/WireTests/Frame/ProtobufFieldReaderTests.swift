import ServingCore
import Testing

@testable import Wire

/// `ProtobufFieldReader` against libprotobuf-c's own encoding, and on malformed bytes.
@Suite("Protobuf field reader")
struct ProtobufFieldReaderTests {
    /// The fields of an encoded GenerateRequest, read back without decoding the message.
    static func read(_ bytes: [UInt8]) throws -> (id: String, prompt: [Int32], salt: String, priority: Int32, skipped: Int) {
        try bytes.withUnsafeBytes { raw in
            var reader = ProtobufFieldReader(raw)
            var result = (id: "", prompt: [Int32](), salt: "", priority: Int32(0), skipped: 0)
            while let (field, type) = try reader.nextField() {
                switch field {
                case 1: result.id = try reader.string("request_id")
                case 2: try reader.appendInt32s(type, to: &result.prompt)
                case 5: result.priority = Int32(truncatingIfNeeded: try reader.varint())
                case 6: result.salt = try reader.string("cache_salt")
                default:
                    try reader.skip(type)
                    result.skipped += 1
                }
            }
            return result
        }
    }

    @Test("reads what protobuf-c wrote: strings, packed int32s with negatives, varints, skipped sub-messages")
    func readsProtobufC() throws {
        var params = SamplingParams()
        params.stop = ["\n\n", "END"]
        params.temperature = 0.7
        let prompt: [TokenID] = [0, 1, 127, 128, 16_383, 16_384, .max, .min, -1] + (0..<500).map { TokenID($0 * 37) }
        let request = ApusV1.GenerateRequest(
            requestID: "req-é-🙂", promptTokenIDs: prompt, samplingParams: params, priority: -3,
            cacheSalt: "tenant-7")
        let read = try Self.read(request.encoded())
        #expect(read.id == "req-é-🙂")
        #expect(read.prompt == prompt)
        #expect(read.salt == "tenant-7")
        #expect(read.priority == -3)
        #expect(read.skipped >= 1, "sampling_params is skipped as a length-delimited field")
    }

    @Test("unpacked repeated int32s (one varint per field) are read too")
    func unpackedInt32s() throws {
        // Field 2 three times as plain varints: 5, 300, -2 (ten bytes, two's complement).
        let bytes: [UInt8] = [0x10, 0x05, 0x10, 0xAC, 0x02, 0x10] + [0xFE] + Array(repeating: 0xFF, count: 8) + [0x01]
        #expect(try Self.read(bytes).prompt == [5, 300, -2])
    }

    @Test("malformed bytes throw, naming what is wrong", arguments: [
        ([0x0A, 0x05, 0x61], "runs past the end"),  // string of 5 bytes, 1 present
        ([0x08, 0x80], "truncated varint"),  // varint cut short
        ([0x08] + Array(repeating: 0xFF, count: 11) + [0x01], "longer than 10 bytes"),
        ([0x0B], "malformed field key"),  // wire type 3 (group)
        ([0x00, 0x01], "malformed field key"),  // field number 0
        ([0x1D, 0x01, 0x02], "truncated fixed field"),  // field 3 as fixed32, with 2 bytes
        ([0x12, 0x02, 0x05, 0x80, 0x01], "packed varints run past"),  // packed run whose last varint spills over
    ] as [([UInt8], String)])
    func malformed(bytes: [UInt8], words: String) {
        #expect {
            _ = try Self.read(bytes)
        } throws: { error in
            "\(error)".contains(words)
        }
    }

    @Test("a string field with invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(throws: WireDecodingError.self) { _ = try Self.read([0x0A, 0x02, 0xC3, 0x28]) }
    }

    @Test("a string field with a NUL byte is refused, since protobuf-c would cut it there")
    func nulInString() {
        #expect {
            _ = try Self.read([0x0A, 0x03, 0x61, 0x00, 0x62])
        } throws: { error in
            "\(error)".contains("NUL byte")
        }
    }
}
