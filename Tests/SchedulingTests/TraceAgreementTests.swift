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
        let trace = try Data(contentsOf: Self.fixtures.appendingPathComponent("seed\(seed).json"))
        let expected = try String(
            contentsOf: Self.fixtures.appendingPathComponent("seed\(seed).vllm.jsonl"), encoding: .utf8
        ).split(separator: "\n").map(String.init)
        let lines = try TraceSimulator.run(traceJSON: trace)
        #expect(lines.count == expected.count)
        for (k, (ours, theirs)) in zip(lines, expected).enumerated() where ours != theirs {
            Issue.record("seed \(seed) step \(k):\n  apus: \(ours)\n  vllm: \(theirs)")
            break
        }
    }
}
