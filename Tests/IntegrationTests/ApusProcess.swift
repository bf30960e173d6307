import Foundation
import Wire

/// A real `apus` child process on 127.0.0.1 with ephemeral ports; `stop()` (or deinit) always ends it.
final class ApusProcess: @unchecked Sendable {
    // NOTE: @unchecked: the mutable state is only the Process, which Foundation synchronizes.
    static let binary: URL = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for config in ["debug", "release"] {
            let url = root.appendingPathComponent(".build/\(config)/apus")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return root.appendingPathComponent(".build/debug/apus")
    }()

    let process = Process()
    let name: String
    private(set) var wirePort = 0
    private(set) var adminPort = 0
    private let stdout = Pipe()
    private let stderrFile: URL

    /// Starts `apus <arguments>` and waits for its LISTENING line.
    init(_ arguments: [String], name: String, timeout: Duration = .seconds(60)) async throws {
        self.name = name
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("apus-\(name)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = Self.binary
        process.arguments = arguments
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        try await waitForListening(timeout: timeout)
    }

    private func waitForListening(timeout: Duration) async throws {
        let handle = stdout.fileHandleForReading
        let line: String? = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var buffer = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { return nil }
                    buffer.append(chunk)
                    if let text = String(data: buffer, encoding: .utf8),
                       let l = text.split(separator: "\n").first(where: { $0.hasPrefix("LISTENING") }) {
                        return String(l)
                    }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let line else {
            stop()
            throw ProcessError("\(name) did not start listening; stderr:\n\(stderrTail())")
        }
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=")
            guard parts.count == 2, let port = Int(parts[1].split(separator: ":").last ?? "") else { continue }
            if parts[0] == "wire" { wirePort = port }
            if parts[0] == "admin" { adminPort = port }
        }
    }

    var wireAddress: String { "127.0.0.1:\(wirePort)" }

    func stderrTail(_ n: Int = 30) -> String {
        let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(n).joined(separator: "\n")
    }

    /// SIGKILL: the process gets no chance to clean up (a crashed node).
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(5)) {
        guard process.isRunning else { return }
        process.terminate()
        let end = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < end { usleep(10_000) }
        kill9()
    }

    deinit {
        stop(grace: .seconds(1))
        try? FileManager.default.removeItem(at: stderrFile)
    }
}

struct ProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs `apus` to completion and returns its exit code and output.
func runApus(_ arguments: [String]) throws -> (code: Int32, output: String) {
    let p = Process()
    p.executableURL = ApusProcess.binary
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func client(_ port: Int) -> RPCClient {
    RPCClient(host: "127.0.0.1", port: port, configuration: .init(service: "test"))
}
