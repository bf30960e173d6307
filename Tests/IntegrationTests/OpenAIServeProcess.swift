import Foundation

/// `apus serve` (runner, engine-core, router and api as its children) with the embedded model on a free port.
/// `stop()` sends SIGTERM, on which serve stops its children in reverse order.
final class OpenAIServeProcess: @unchecked Sendable {
    // NOTE: @unchecked: the state is the child process, which Foundation synchronizes.
    let process = Process()
    /// The OpenAI base URL serve announced, e.g. http://127.0.0.1:40931/v1.
    let baseURL: String
    private let log: URL

    init(apiKey: String, timeout: Duration = .seconds(120)) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("apus-serve-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = ApusProcess.binary
        process.arguments = [
            "serve", "--port", "0", "--api-key", apiKey, "--memory-budget", "512MiB", "--max-model-len", "512",
        ]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let handle = stdout.fileHandleForReading
        var buffer = Data()
        var url: String?
        while url == nil {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: #"http://[^ ]+/v1"#, options: .regularExpression) {
                url = String(text[range])
            }
        }
        guard let url else {
            process.terminate()
            throw ProcessError("apus serve did not announce its URL; stderr:\n\(Self.tail(log))")
        }
        baseURL = url
    }

    var stderrTail: String { Self.tail(log) }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: log)
    }

    private static func tail(_ url: URL) -> String {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").suffix(40)
            .joined(separator: "\n")
    }
}
