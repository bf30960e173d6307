import Foundation
import Testing

private let smolLM2 = ApusProcess.smolLM2

@Suite(
    "Speculative decoding with a real chat model: greedy outputs identical to decoding without it",
    .enabled(if: smolLM2 != nil, "SmolLM2 GGUF not present (scripts/fetch-smollm2.sh)"))
struct SpeculativeDecodingTests {
    /// `apus serve` with SmolLM2; a small token budget chunks the prompts.
    static func serve(_ extra: [String]) async throws -> ApusProcess {
        try await ApusProcess(
            [
                "serve", "--port", "0", "--model", smolLM2!, "--api-key", OpenAICluster.apiKey, "--memory-budget",
                "1GiB", "--max-model-len", "512", "--max-num-batched-tokens", "64", "--max-num-seqs", "16",
            ] + extra,
            name: "serve", timeout: .seconds(180)
        ) { text in
            text.range(of: #"http://[^ ]+/v1"#, options: .regularExpression).map { String(text[$0]) }
        }
    }

    /// The engine-core's /metrics URL, from the cluster's start-up log.
    static func engineMetricsURL(_ serve: ApusProcess) -> String? {
        let log = serve.stderrTail(400)
        guard let range = log.range(of: #"engine-core[^ ]* up: admin=[0-9.]+:[0-9]+"#, options: .regularExpression)
        else { return nil }
        return "http://" + log[range].split(separator: "=").last! + "/metrics"
    }

    @Test("n-gram, suffix and draft-model decoding: 16 greedy completions equal the plain server's; drafts accepted")
    func greedyEquivalence() async throws {
        let plain = try await Self.serve([])
        defer { plain.stop() }
        let ngram = try await Self.serve([
            "--speculative-config",
            #"{"method": "ngram", "num_speculative_tokens": 4, "prompt_lookup_min": 2, "prompt_lookup_max": 4}"#,
        ])
        defer { ngram.stop() }
        let suffix = try await Self.serve([
            "--speculative-config", #"{"method": "suffix", "num_speculative_tokens": 6}"#,
        ])
        defer { suffix.stop() }
        let draft = try await Self.serve([
            "--speculative-config", #"{"method": "draft_model", "num_speculative_tokens": 4, "model": "\#(smolLM2!)"}"#,
        ])
        defer { draft.stop() }
        let metrics = [ngram, suffix, draft].compactMap(Self.engineMetricsURL)
        #expect(metrics.count == 3, "engine-core admin addresses not found:\n\(ngram.stderrTail(40))")
        let root = ApusProcess.repositoryRoot
        let (status, output) = try ApusProcess.runToEnd(
            ["bash", root.appendingPathComponent("scripts/python-tests.sh").path],
            environment: [
                "APUS_BASE_URL": plain.readyLine, "APUS_API_KEY": OpenAICluster.apiKey,
                "APUS_SPEC_BASE_URLS": [ngram.readyLine, suffix.readyLine, draft.readyLine].joined(separator: ","),
                "APUS_SPEC_METRICS_URLS": metrics.joined(separator: ","),
                "APUS_PYTEST_PATH": root.appendingPathComponent("tests/python/speculative").path,
            ])
        #expect(status == 0, "speculative tests failed:\n\(output)\nngram serve stderr:\n\(ngram.stderrTail(40))")
        #expect(output.contains("6 passed"), "\(output)\n\(draft.stderrTail(60))")
    }
}
