import Foundation
import Testing

@testable import ModelFiles

@Suite struct GGUFFileTests {
    /// Two tensors (f32 [2, 3] and Q8_0 [1, 32]) and one metadata value of every kind.
    static func sample() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.metadata = [
            ("general.architecture", .string("llama")), ("llama.block_count", .u32(30)),
            ("llama.rope.freq_base", .f32(100_000)), ("neg", .i32(-7)), ("big", .u64(1 << 40)), ("byte", .u8(9)),
            ("ratio", .f64(0.25)), ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.ggml.tokens", .strings(["a", "b", "ab", "✓"])),
            ("tokenizer.ggml.token_type", .i32s([1, 1, 1, 3])), ("tokenizer.ggml.scores", .f32s([0, -1, -2.5, 0])),
            ("nested", .nested([[1, 2], [3]])),
        ]
        let f32: [Float] = [1, 2, 3, 4, 5, 6]
        let q8: [UInt8] = [0x00, 0x3C] + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }  // d = 1.0 (f16)
        b.tensors = [
            .init(name: "a.weight", dimensions: [3, 2], type: 0, data: f32.flatMap { v in withUnsafeBytes(of: v) { Array($0) } }),
            .init(name: "b.weight", dimensions: [32, 1], type: 8, data: q8),
        ]
        return b
    }

    @Test func readsMetadataAndTensors() throws {
        let file = TemporaryFile(Self.sample().build())
        defer { file.cleanup() }
        let gguf = try GGUFFile(path: file.path)
        #expect(gguf.version == 3)
        #expect(gguf.string("general.architecture") == "llama")
        #expect(gguf.int("llama.block_count") == 30)
        #expect(gguf.float("llama.rope.freq_base") == 100_000)
        #expect(gguf.int("neg") == -7)
        #expect(gguf.int("big") == 1 << 40)
        #expect(gguf.int("byte") == 9)
        #expect(gguf.float("ratio") == 0.25)
        #expect(gguf.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(gguf.strings("tokenizer.ggml.tokens") == ["a", "b", "ab", "✓"])
        #expect(gguf.ints("tokenizer.ggml.token_type") == [1, 1, 1, 3])
        #expect(gguf.floats("tokenizer.ggml.scores") == [0, -1, -2.5, 0])
        #expect(gguf.metadata["nested"] == .array([.array([.int(1), .int(2)]), .array([.int(3)])]))
        // Typed accessors refuse the wrong kind instead of guessing.
        #expect(gguf.strings("tokenizer.ggml.token_type") == nil)
        #expect(gguf.int("general.architecture") == nil)

        let a = try gguf.tensor("a.weight")
        #expect(a.type == .f32 && a.dimensions == [3, 2] && a.shape == [2, 3] && a.elementCount == 6)
        #expect(a.range.lowerBound % 32 == 0 && a.range.count == 24)
        let values = gguf.bytes(of: a).withMemoryRebound(to: Float.self) { Array($0) }
        #expect(values == [1, 2, 3, 4, 5, 6])
        let b = try gguf.tensor("b.weight")
        #expect(b.type == .q8_0 && b.range.count == 34 && b.range.lowerBound == a.range.lowerBound + 32)
        #expect(gguf.bytes(of: b)[2] == UInt8(bitPattern: -16))
    }

    @Test func honoursGeneralAlignment() throws {
        var b = Self.sample()
        b.alignment = 64
        b.metadata.append(("general.alignment", .u32(64)))
        let file = TemporaryFile(b.build())
        defer { file.cleanup() }
        let gguf = try GGUFFile(path: file.path)
        #expect(gguf.alignment == 64)
        #expect(try gguf.tensor("b.weight").range.lowerBound == gguf.dataOffset + 64)
    }

    @Test func readsVersion2() throws {
        var b = Self.sample()
        b.version = 2
        let file = TemporaryFile(b.build())
        defer { file.cleanup() }
        #expect(try GGUFFile(path: file.path).version == 2)
    }

    @Test func unknownTensorTypeFailsOnlyWhenUsed() throws {
        var b = Self.sample()
        b.tensors.append(.init(name: "iq.weight", dimensions: [256, 1], type: 19, data: [UInt8](repeating: 0, count: 66)))
        let file = TemporaryFile(b.build())
        defer { file.cleanup() }
        let gguf = try GGUFFile(path: file.path)
        #expect(gguf.contains("iq.weight"))
        #expect(throws: ModelFileError.unsupported(path: file.path, field: "tensor iq.weight", reason: "ggml type 19")) {
            try gguf.tensor("iq.weight")
        }
        #expect(throws: ModelFileError.malformed(path: file.path, field: "tensor nope", reason: "missing")) {
            try gguf.tensor("nope")
        }
    }

    /// Every proper prefix of a valid file is refused with an error (never a crash or an out-of-bounds read).
    @Test func everyTruncationIsAnError() throws {
        let bytes = Self.sample().build()
        for length in 1..<bytes.count {
            let file = TemporaryFile(Array(bytes[..<length]))
            defer { file.cleanup() }
            #expect(throws: ModelFileError.self, "prefix of \(length) bytes") { try GGUFFile(path: file.path) }
        }
    }

    @Test func brokenFilesNameTheField() throws {
        func error(_ bytes: [UInt8]) -> ModelFileError? {
            let file = TemporaryFile(bytes)
            defer { file.cleanup() }
            do {
                _ = try GGUFFile(path: file.path)
                return nil
            } catch { return error }
        }
        func field(_ e: ModelFileError?) -> String? {
            switch e {
            case .malformed(_, let field, _)?, .unsupported(_, let field, _)?: field
            default: nil
            }
        }
        let good = Self.sample().build()

        // An empty file maps nothing and is too short for the magic.
        #expect(field(error([])) == "magic")

        var wrongMagic = good
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(field(error(wrongMagic)) == "magic")

        var v1 = Self.sample()
        v1.version = 1
        guard case .unsupported(_, "version", let why)? = error(v1.build()) else {
            Issue.record("version 1 accepted")
            return
        }
        #expect(why.contains("version 1"))
        var bigEndian = good
        bigEndian.replaceSubrange(4..<8, with: [0, 0, 0, 3])
        guard case .unsupported(_, "version", let why)? = error(bigEndian) else {
            Issue.record("big-endian accepted")
            return
        }
        #expect(why.contains("big-endian"))

        // A tensor count far beyond what the file could hold.
        var hugeCount = good
        hugeCount.replaceSubrange(8..<16, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(field(error(hugeCount)) == "tensor count")

        var duplicateKey = Self.sample()
        duplicateKey.metadata.append(("neg", .i32(1)))
        #expect(field(error(duplicateKey.build())) == "neg")

        var badAlignment = Self.sample()
        badAlignment.metadata.append(("general.alignment", .u32(24)))
        #expect(field(error(badAlignment.build())) == "general.alignment")

        var zeroDimension = Self.sample()
        zeroDimension.tensors[0].dimensions = [0, 2]
        #expect(field(error(zeroDimension.build())) == "tensor a.weight")

        var fiveDimensions = Self.sample()
        fiveDimensions.tensors[0].dimensions = [1, 1, 1, 2, 3]
        #expect(field(error(fiveDimensions.build())) == "tensor a.weight")

        // Data claimed past the end of the file.
        var pastEnd = Self.sample()
        pastEnd.tensors[1].dimensions = [32, 1000]
        guard case .malformed(_, "tensor b.weight", let reason)? = error(pastEnd.build()) else {
            Issue.record("tensor past the end accepted")
            return
        }
        #expect(reason.contains("past the end"))

        // A row that is not whole blocks of its type.
        var partialBlock = Self.sample()
        partialBlock.tensors[1].dimensions = [16, 2]
        #expect(field(error(partialBlock.build())) == "tensor b.weight")
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: ModelFileError.self) { try GGUFFile(path: "/nonexistent/apus/model.gguf") }
    }
}
