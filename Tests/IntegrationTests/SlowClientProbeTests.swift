import Foundation
import Testing

@Suite("Slow and oversized HTTP clients against apus serve")
struct SlowClientProbeTests {
    @Test("413 without reading an oversized body; 300 slowloris clients neither slow others down nor stay open")
    func probe() async throws {
        let serve = try await ApusProcess(
            [
                "serve", "--port", "0", "--api-key", OpenAICluster.apiKey, "--memory-budget", "512MiB",
                "--max-model-len", "512", "--request-read-timeout", "2", "--max-request-body-size", "100000",
            ],
            name: "serve", timeout: .seconds(120)
        ) { text in
            text.range(of: #"http://[^ ]+/v1"#, options: .regularExpression).map { String(text[$0]) }
        }
        defer { serve.stop() }
        let (status, output) = try ApusProcess.runToEnd([
            "python3", ApusProcess.repositoryRoot.appendingPathComponent("scripts/probe-slow-clients.py").path,
            "--base", String(serve.readyLine.dropLast("/v1".count)), "--key", OpenAICluster.apiKey,
            "--clients", "300", "--read-timeout", "2", "--max-body", "100000",
        ])
        #expect(status == 0, "\(output)\nserve stderr:\n\(serve.stderrTail(40))")
        #expect(output.contains("a normal request afterwards: 200"), "\(output)")
    }
}
