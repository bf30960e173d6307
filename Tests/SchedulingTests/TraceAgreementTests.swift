import Foundation
import Testing

@testable import ApusBench
@testable import Scheduling

/// Random traces from `scripts/gen_sim_trace.py SEED`, replayed through vLLM 0.33.0's real V1 scheduler with
/// `scripts/vllm_sim.py`; the recorded lines are the expectation, step by step.
@Suite("Agreement with vLLM 0.33 on recorded traces")
struct TraceAgreementTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vllm-0.33-traces")

    @Test("every step line equals vLLM's", arguments: [12, 17, 18, 67, 121, 149])
    func agreesWithVLLM(seed: Int) throws {
        try Self.check("seed\(seed)")
    }

    /// Traces with scripted speculative drafts (`gen_sim_trace.py SEED --spec`): padded admissions, preemption with
    /// drafts, stops inside accepted runs, max_model_len cuts, chunked prefill off, thresholds, priorities, aborts.
    @Test("with speculative drafts, every step line equals vLLM's", arguments: [6, 17, 19, 22, 27, 30, 32, 42, 53, 63, 67])
    func agreesWithVLLMSpeculative(seed: Int) throws {
        try Self.check("spec-seed\(seed)")
    }

    /// Traces with LoRA adapters (`gen_sim_trace.py SEED --lora`, `--spec --lora`): max_loras 1–3 over up to five
    /// adapters, where the limit changes the schedule, and prompts repeated under another adapter (no prefix hit).
    @Test(
        "with LoRA adapters, every step line equals vLLM's",
        arguments: ["lora-seed32", "lora-seed173", "lora-seed185", "lora-seed190", "lora-spec-seed72",
                    "lora-spec-seed117", "lora-spec-seed120", "lora-spec-seed156"])
    func agreesWithVLLMLoRA(name: String) throws {
        try Self.check(name)
    }

    static func check(_ name: String) throws {
        let trace = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).json"))
        let expected = try String(
            contentsOf: Self.fixtures.appendingPathComponent("\(name).vllm.jsonl"), encoding: .utf8
        ).split(separator: "\n").map(String.init)
        let lines = try TraceSimulator.run(traceJSON: trace)
        #expect(lines.count == expected.count)
        for (k, (ours, theirs)) in zip(lines, expected).enumerated() where ours != theirs {
            Issue.record("\(name) step \(k):\n  apus: \(ours)\n  vllm: \(theirs)")
            break
        }
    }
}
