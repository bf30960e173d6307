import Foundation

/// The committed tiny GGUF files (`Tests/Fixtures/models/gguf`, made by scripts/fixtures/make_gguf_fixtures.py)
/// and their goldens from transformers' own GGUF loader.
extension Fixtures {
    /// `<model>.<TYPE>` stems: tiny-llama (arch `llama`, q/k rows permuted as llama.cpp stores them) and
    /// tiny-qwen3 (arch `qwen3`, head_dim 32 ≠ hidden/heads, tied embeddings) in every 32-block type, and a
    /// one-layer Llama with 256-multiple rows in the K types.
    static let ggufFloatFiles = ["F32", "F16", "BF16"].flatMap { ["tiny-llama.\($0)", "tiny-qwen3.\($0)"] }
    static let ggufQuantizedFiles =
        ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"].flatMap { ["tiny-llama.\($0)", "tiny-qwen3.\($0)"] }
        + ["Q4_K", "Q5_K", "Q6_K"].map { "tiny-llama256.\($0)" }

    static func ggufPath(_ stem: String) -> String { path("gguf/\(stem).gguf") }

    /// A GGUF file's golden: the cases in the HF goldens' format plus the numbers that justify the bounds.
    struct GGUFGolden: Decodable {
        let type: String
        let architecture: String
        let smallest_gap: Double
        /// Max relative logit error when every matmul input is quantized to int8 per block (nil: float types).
        let act_int8_error: Double?
        /// llama.cpp's own max relative logit error on the file.
        let llamacpp_error: Double?
        /// Max relative logit error of simulated loader bugs (`no_unpermute`, `nibbles_swapped`, `scale_shifted`).
        let broken: [String: Double]
        let cases: [Case]
    }

    static func ggufGolden(_ stem: String) throws -> GGUFGolden {
        let data = try Data(contentsOf: models.appendingPathComponent("gguf/golden/\(stem).json"))
        return try JSONDecoder().decode(GGUFGolden.self, from: data)
    }
}
