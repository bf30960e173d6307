import Foundation
import ServingCore

@testable import ModelRuntime

/// The committed PEFT adapters of the tiny models (scripts/fixtures/make_lora_fixtures.py) and their
/// transformers + peft goldens.
enum LoRAFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/lora")

    /// Every fixture adapter, by model.
    static let adapters: [(model: String, adapter: String)] = [
        ("tiny-llama", "r8-all"), ("tiny-llama", "r4-attn-f16"), ("tiny-llama", "r16-rslora"),
        ("tiny-llama", "r2-mlp-bf16"), ("tiny-llama", "r6-all-linear"),
        ("tiny-qwen2", "r8-all-linear"), ("tiny-qwen2", "r4-attn-rslora-f16"), ("tiny-qwen2", "r16-bf16"),
        ("tiny-qwen3", "r8-qko"),
    ]

    static func path(_ model: String, _ adapter: String) -> String {
        root.appendingPathComponent(model).appendingPathComponent(adapter).path
    }

    static func request(_ model: String, _ adapter: String) -> LoRARequest {
        LoRARequest(name: adapter, path: path(model, adapter))
    }

    /// One prompt's golden: the greedy continuation with the adapter, and the logits of every position of
    /// prompt ++ greedy[..<last].
    struct Case {
        let prompt: [TokenID]
        let greedy: [TokenID]
        let logits: [[Float]]
    }

    struct Golden: Decodable {
        struct Tokens: Decodable {
            let prompt: [TokenID]
            let greedy: [TokenID]
        }
        let smallest_gap: Double
        let cases: [Tokens]
    }

    static func golden(_ model: String, _ adapter: String) throws -> (smallestGap: Double, cases: [Case]) {
        let dir = URL(fileURLWithPath: path(model, adapter)).appendingPathComponent("golden")
        let golden = try JSONDecoder().decode(
            Golden.self, from: Data(contentsOf: dir.appendingPathComponent("golden.json")))
        let file = try SafetensorsFile(path: dir.appendingPathComponent("logits.safetensors").path)
        let cases = try golden.cases.enumerated().map { (i, c) in
            let entry = file.entries["case\(i)"]!
            var values = [Float](repeating: 0, count: entry.shape.reduce(1, *))
            try values.withUnsafeMutableBufferPointer { try file.read("case\(i)", into: $0.baseAddress!) }
            let vocab = entry.shape[1]
            let logits = (0..<entry.shape[0]).map { Array(values[$0 * vocab..<($0 + 1) * vocab]) }
            return Case(prompt: c.prompt, greedy: c.greedy, logits: logits)
        }
        return (golden.smallest_gap, cases)
    }

    /// A runner of `model` with LoRA enabled.
    static func runner(_ model: String, maxRank: Int = 16, maxCPULoRAs: Int = 4) throws -> ModelRunner {
        let runner = try ModelRunner(source: .directory(Fixtures.path(model)))
        runner.enableLoRA(LoRAConfig(maxLoRARank: maxRank, maxCPULoRAs: maxCPULoRAs))
        return runner
    }
}
