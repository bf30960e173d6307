import Foundation
import Testing
import Wire

@Suite("apus serve --tls: every internal link on mutual TLS")
struct ServeTLSTests {
    @Test("serve --tls answers over HTTP while its runner, engine-core and router require TLS client certificates")
    func internalLinksAreMutualTLS() async throws {
        let serve = try await ApusProcess(
            ["serve", "--port", "0", "--api-key", OpenAICluster.apiKey, "--memory-budget", "512MiB",
             "--max-model-len", "512", "--tls"],
            name: "serve", timeout: .seconds(120)
        ) { text in
            text.range(of: #"http://[^ ]+/v1"#, options: .regularExpression).map { String(text[$0]) }
        }
        defer { serve.stop() }
        let port = try #require(Int(serve.readyLine.split(separator: ":").last?.split(separator: "/").first ?? ""))
        #expect(ServeSupervisorTests.completes(port: port), "\(serve.stderrTail())")
        let children = ServeSupervisorTests.children(of: serve.process.processIdentifier)
        let log = serve.stderrTail(10_000)
        for name in ["router", "runner", "engine-core"] {
            let pid = try #require(children[name])
            let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
                .split(separator: "\0").map(String.init)
            #expect(cmdline.contains("--tls-require-client-cert"), "\(name): \(cmdline)")
            let wire = try #require(Self.wirePort(of: name, in: log), "no wire port for \(name) in:\n\(log)")
            var config = RPCClient.Configuration(service: "stranger")
            config.initialBackoff = .milliseconds(1)
            let plaintext = RPCClient(host: "127.0.0.1", port: wire, configuration: config)
            await #expect(throws: RPCError.self) { _ = try await plaintext.serverHello() }
            await plaintext.close()
        }
    }

    /// The wire port serve logged for its child `name` ("runner-0 up: admin=… wire=127.0.0.1:PORT").
    static func wirePort(of name: String, in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("] \(name)") && line.contains(" up: ") {
            guard let range = line.range(of: #"wire=127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { continue }
            return Int(line[range].split(separator: ":").last!)
        }
        return nil
    }
}
