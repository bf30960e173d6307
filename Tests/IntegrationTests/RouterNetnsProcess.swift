import Foundation

/// An `apus` child process inside one of `Netns`'s namespaces, listening on that namespace's address.
final class NetnsProcess: @unchecked Sendable {
    // NOTE: @unchecked: the mutable state is only the Process, which Foundation synchronizes.
    let process = Process()
    let name: String
    private(set) var wireAddress = ""
    private(set) var wirePort = 0
    private let stdout = Pipe()
    private let stderrFile: URL

    /// Starts `ip netns exec <namespace index> apus <arguments> --host <its address>`; waits for LISTENING.
    init(_ network: Netns, _ index: Int, _ arguments: [String], name: String) async throws {
        self.name = name
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("apus-ns-\(name)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Netns.ip ?? "/usr/sbin/ip")
        process.arguments = ["netns", "exec", network.names[index], ApusProcess.binary.path] + arguments
            + ["--host", network.address(index)]
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        let handle = stdout.fileHandleForReading
        let line = try await withTimeout(.seconds(60)) { () -> String? in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return nil }
                buffer.append(chunk)
                if let text = String(data: buffer, encoding: .utf8),
                    let found = text.split(separator: "\n").first(where: { $0.hasPrefix("LISTENING") })
                {
                    return String(found)
                }
            }
        }
        guard let line, let wire = line.split(separator: " ").first(where: { $0.hasPrefix("wire=") }) else {
            stop()
            throw ProcessError("\(name) did not start listening; stderr:\n\(stderrTail())")
        }
        wireAddress = String(wire.dropFirst("wire=".count))
        wirePort = Int(wireAddress.split(separator: ":").last ?? "") ?? 0
    }

    func stderrTail(_ n: Int = 30) -> String {
        let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(n).joined(separator: "\n")
    }

    /// SIGKILL (`ip netns exec` execs the command, so this is the apus process itself).
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let end = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < end { usleep(10_000) }
        kill9()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: stderrFile)
    }
}
