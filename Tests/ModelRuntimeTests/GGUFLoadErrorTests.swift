import Foundation
import Testing

@testable import ModelRuntime

/// Broken GGUF files (byte-edited copies of the tiny fixtures) are refused with a `ModelLoadError` naming the file.
@Suite("Broken GGUF files")
struct GGUFLoadErrorTests {
    /// A scratch copy of fixture `stem`, edited by `edit`; returns its path.
    func brokenCopy(_ stem: String, _ edit: (inout Data) throws -> Void) throws -> String {
        var data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.ggufPath(stem)))
        try edit(&data)
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("\(stem).gguf")
        try data.write(to: url)
        return url.path
    }

    func loadError(_ path: String) -> ModelLoadError? {
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            _ = try ModelSource.gguf(path).loadWeights()
            return nil
        } catch {
            return error
        }
    }

    /// The byte offset just past tensor `name`'s name in the tensor-info table (then: n_dims u32, dims u64…,
    /// type u32, offset u64).
    func afterName(_ name: String, in data: Data) throws -> Int {
        let range = try #require(data.range(of: Data(name.utf8)), "\(name) not in the file")
        return range.upperBound - data.startIndex
    }

    func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) {
            data.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: $0)
        }
    }

    func expectRefused(_ path: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation)
    {
        guard let error = loadError(path) else {
            Issue.record("\(path) loaded", sourceLocation: sourceLocation)
            return
        }
        #expect(error.description.contains(path), "\(error)", sourceLocation: sourceLocation)
        for word in words {
            let found = error.description.lowercased().contains(word.lowercased())
            #expect(found, "\(error) lacks '\(word)'", sourceLocation: sourceLocation)
        }
    }

    @Test("a file cut inside its tensor data")
    func truncated() throws {
        expectRefused(try brokenCopy("tiny-llama.Q4_0") { $0 = $0.prefix($0.count - 1000) }, mentioning: [])
    }

    @Test("a wrong magic")
    func wrongMagic() throws {
        expectRefused(try brokenCopy("tiny-llama.F16") { $0.replaceSubrange(0..<4, with: Data("GGUX".utf8)) },
            mentioning: ["magic"])
    }

    @Test("tensor and metadata counts past the end of the file", arguments: [8, 16])
    func countsPastTheEnd(offset: Int) throws {
        expectRefused(try brokenCopy("tiny-qwen3.Q8_0") { put(UInt64(1) << 40, at: offset, in: &$0) }, mentioning: [])
    }

    @Test("a tensor the model uses in a ggml type Apus does not implement (Q2_K)")
    func unknownTensorType() throws {
        let path = try brokenCopy("tiny-llama.Q4_0") { data in
            let at = try afterName("blk.0.attn_q.weight", in: data)
            put(UInt32(10), at: at + 4 + 2 * 8, in: &data)  // 2-D: n_dims, ne0, ne1, then the type
        }
        expectRefused(path, mentioning: ["blk.0.attn_q.weight", "type 10"])
    }

    @Test("an architecture Apus does not implement")
    func unsupportedArchitecture() throws {
        let path = try brokenCopy("tiny-llama.F16") { data in
            let at = try afterName("general.architecture", in: data)  // then type u32, length u64, "llama"
            data.replaceSubrange(at + 12..<at + 17, with: Data("mamba".utf8))
        }
        let error = try #require(loadError(path))
        #expect(error == .unsupportedArchitecture("mamba", path: path))
        #expect(error.description.contains(path) && error.description.contains("llama, qwen2, qwen3"), "\(error)")
    }

    @Test("a tensor whose shape disagrees with the metadata")
    func wrongShape() throws {
        let path = try brokenCopy("tiny-llama.F32") { data in
            let at = try afterName("blk.0.ffn_gate.weight", in: data)
            put(UInt64(64), at: at + 4 + 8, in: &data)  // ne1 (rows, = intermediate 128) → 64
        }
        expectRefused(path, mentioning: ["blk.0.ffn_gate.weight"])
    }

    /// Found by scripts/fuzz.sh model-files: an EOS id past Int32 trapped narrowing to a token id.
    @Test("an EOS id outside the vocabulary (and past Int32) is refused, naming the key")
    func eosOutsideVocabulary() throws {
        let path = try brokenCopy("tiny-llama.Q4_0") { data in
            let at = try afterName("tokenizer.ggml.eos_token_id", in: data)  // then type u32 (4), the u32 value
            put(UInt32.max, at: at + 4, in: &data)
        }
        expectRefused(path, mentioning: ["tokenizer.ggml.eos_token_id", "4294967295", "outside the vocabulary"])
    }
}
