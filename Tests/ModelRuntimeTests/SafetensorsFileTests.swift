import Foundation
import Testing

@testable import ModelRuntime

@Suite("Safetensors file")
struct SafetensorsFileTests {
    @Test("F32, F16 and BF16 tensors read back as the same f32 values")
    func dtypesConvert() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.safetensors")
        let values: [Float] = [1.5, -2.25, 0, 4096, -0.0078125, 3]
        try SafetensorsWriter.write(
            [
                .init(name: "a", shape: [2, 3], values: values),
                .init(name: "b", shape: [6], values: values, dtype: "F16"),
                .init(name: "c", shape: [3, 2], values: values, dtype: "BF16"),
            ], to: url)
        let file = try SafetensorsFile(path: url.path)
        #expect(file.entries["b"] == .init(dtype: "F16", shape: [6], begin: 24, end: 36))
        for name in ["a", "b", "c"] {
            var out = [Float](repeating: .nan, count: 6)
            try out.withUnsafeMutableBufferPointer { try file.read(name, into: $0.baseAddress!) }
            #expect(out == values, "tensor \(name)")
        }
    }

    /// Found by scripts/fuzz.sh model-files: a header length of 2⁶³ or more trapped converting to Int.
    @Test("a header length too large for an Int is a bad header, not a crash")
    func hugeHeaderLength() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.safetensors")
        try Data([0, 0, 0, 0, 0, 0, 0, 0x80] + Array("{}".utf8)).write(to: url)
        #expect(
            throws: ModelLoadError.badHeader(
                file: url.path, reason: "header length 9223372036854775808 does not fit in a file of 10 bytes")
        ) {
            _ = try SafetensorsFile(path: url.path)
        }
    }

    @Test("a dtype the runtime cannot convert is refused when read, naming the tensor")
    func unconvertibleDtype() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.safetensors")
        try SafetensorsWriter.write([.init(name: "ids", shape: [2], values: [1, 2])], to: url) { header in
            header["ids"] = ["dtype": "I32", "shape": [2], "data_offsets": [0, 8]]
        }
        let file = try SafetensorsFile(path: url.path)
        var out: [Float] = [0, 0]
        #expect(
            throws: ModelLoadError.badTensor(
                file: url.path, tensor: "ids",
                reason: "dtype I32 cannot be loaded; expected F32, F16 or BF16")
        ) {
            try out.withUnsafeMutableBufferPointer { try file.read("ids", into: $0.baseAddress!) }
        }
    }
}
