import Foundation
import Testing

@testable import ApusBench
@testable import Scheduling

@Suite("Trace simulator")
struct TraceSimulatorTests {
    @Test("a small trace replays into the step lines worked out by hand")
    func handCheckedTrace() throws {
        // Block size 4, 6 usable blocks, two sequences at most, 8 tokens a step. "b" shares "a"'s first block.
        let trace = """
            {"config": {"block_size": 4, "num_gpu_blocks": 7, "max_num_seqs": 2, "max_num_batched_tokens": 8,
                        "max_model_len": 32, "enable_prefix_caching": true, "enable_chunked_prefill": true,
                        "long_prefill_token_threshold": 0, "scheduling_policy": "fcfs"},
             "requests": [
               {"request_id": "a", "arrival_step": 0, "prompt_token_ids": [1, 2, 3, 4, 5, 6], "max_tokens": 2,
                "output_token_ids": [10, 11]},
               {"request_id": "b", "arrival_step": 0, "prompt_token_ids": [1, 2, 3, 4, 20, 21], "max_tokens": 3,
                "eos_token_id": 99, "output_token_ids": [30, 99]},
               {"request_id": "c", "arrival_step": 1, "prompt_token_ids": [40, 41, 42, 43, 44, 45, 46, 47, 48],
                "max_tokens": 1}
             ]}
            """
        let lines = try TraceSimulator.run(traceJSON: Data(trace.utf8))
        #expect(
            lines == [
                #"{"step": 0, "scheduled": {"a": 6, "b": 2}, "new": ["a", "b"], "resumed": [], "preempted": [], "finished": {}, "num_cached_tokens": {"a": 0, "b": 4}, "kv_usage": 0.5, "free_blocks": 3}"#,
                #"{"step": 1, "scheduled": {"a": 1, "b": 1}, "new": [], "resumed": [], "preempted": [], "finished": {"a": "length", "b": "stop"}, "num_cached_tokens": {}, "kv_usage": 0.0, "free_blocks": 6}"#,
                #"{"step": 2, "scheduled": {"c": 8}, "new": ["c"], "resumed": [], "preempted": [], "finished": {}, "num_cached_tokens": {"c": 0}, "kv_usage": 0.33333333333333337, "free_blocks": 4}"#,
                #"{"step": 3, "scheduled": {"c": 1}, "new": [], "resumed": [], "preempted": [], "finished": {"c": "length"}, "num_cached_tokens": {}, "kv_usage": 0.0, "free_blocks": 6}"#,
            ])
        for line in lines { #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any]) }
    }

    @Test("a trace that runs out of blocks shows the preemption, the resumption and every request finishing")
    func preemptionTrace() throws {
        let trace = """
            {"config": {"block_size": 4, "num_gpu_blocks": 5, "max_num_seqs": 4, "max_num_batched_tokens": 16,
                        "max_model_len": 64},
             "requests": [
               {"request_id": "x", "arrival_step": 0, "prompt_token_ids": [1, 2, 3, 4, 5, 6, 7], "max_tokens": 6},
               {"request_id": "y", "arrival_step": 0, "prompt_token_ids": [9, 8, 7, 6, 5, 4, 3], "max_tokens": 6},
               {"request_id": "z", "arrival_step": 2, "prompt_token_ids": [5, 5, 5], "max_tokens": 4, "abort_step": 3}
             ]}
            """
        let lines = try TraceSimulator.run(traceJSON: Data(trace.utf8))
        let steps = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let preempted = steps.flatMap { $0["preempted"] as! [String] }
        let resumed = steps.flatMap { $0["resumed"] as! [String] }
        let finished = steps.reduce(into: [String: String]()) { acc, s in
            acc.merge(s["finished"] as! [String: String]) { a, _ in a }
        }
        #expect(preempted == ["y"])
        #expect(resumed == ["y"])
        #expect(finished == ["x": "length", "y": "length", "z": "abort"])
        #expect(steps.last?["free_blocks"] as? Int == 4)
    }

    @Test("a bad config is reported with the field name")
    func badConfig() {
        let trace = #"{"config": {"num_gpu_blocks": 1, "max_model_len": 8}, "requests": []}"#
        #expect(throws: SchedulerConfigError.self) { try TraceSimulator.run(traceJSON: Data(trace.utf8)) }
    }
}
