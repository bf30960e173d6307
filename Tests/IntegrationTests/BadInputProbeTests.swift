import Foundation
import Testing

@Suite("Seeded bad OpenAI request bodies against apus serve")
struct BadInputProbeTests {
    @Test("300 malformed, type-confused and extreme bodies: no 5xx, the api's memory bounded, a normal request works")
    func probe() async throws {
        let root = ApusProcess.repositoryRoot
        let serve = try await ApusProcess.serve(apiKey: OpenAICluster.apiKey)
        defer { serve.stop() }
        let api = try #require(ServeSupervisorTests.children(of: serve.process.processIdentifier)["api"])
        let (status, output) = try ApusProcess.runToEnd([
            "python3", root.appendingPathComponent("scripts/probe-bad-inputs.py").path,
            "--base", String(serve.baseURL.dropLast("/v1".count)), "--key", OpenAICluster.apiKey,
            "--count", "300", "--seed", "7", "--api-pid", "\(api)", "--max-rss-mb", "256",
        ])
        #expect(status == 0, "\(output)\nserve stderr:\n\(serve.stderrTail(40))")
        #expect(output.contains("a normal request afterwards: 200"), "\(output)")
    }
}
