import Foundation

/// A child `apus` process started by `apus serve`: it reads the child's LISTENING line to learn its ports and
/// forwards the rest of its stdout; stop() sends SIGTERM and waits (then SIGKILL).
final class ChildProcess: @unchecked Sendable {
    // NOTE: @unchecked: Process is internally synchronized; `fields` is written once before start() returns.
    let name: String
    let process = Process()
    private(set) var fields: [String: String] = [:]

    init(name: String, arguments: [String]) {
        self.name = name
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = arguments
    }

    /// Launches and waits until the child prints its LISTENING line (or exits, or the timeout passes).
    func start(timeout: Duration = .seconds(600)) async throws {
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        let handle = pipe.fileHandleForReading
        let end = ContinuousClock.now + timeout
        var buffer = Data()
        while ContinuousClock.now < end {
            let chunk = handle.availableData
            if chunk.isEmpty { throw ServeError("\(name) exited before it started listening (status \(exitStatus))") }
            buffer.append(chunk)
            guard let text = String(data: buffer, encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("LISTENING") }) else { continue }
            for field in line.split(separator: " ") {
                let kv = field.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
            }
            forwardRest(of: handle)
            return
        }
        stop()
        throw ServeError("\(name) did not start listening within \(timeout)")
    }

    /// Keeps draining the child's stdout so it never blocks on a full pipe.
    private func forwardRest(of handle: FileHandle) {
        handle.readabilityHandler = { h in
            let data = h.availableData
            if data.isEmpty { h.readabilityHandler = nil } else { FileHandle.standardOutput.write(data) }
        }
    }

    var exitStatus: Int32 { process.isRunning ? -1 : process.terminationStatus }
    var isRunning: Bool { process.isRunning }

    /// "HOST:PORT" of a field (wire, admin, http).
    func address(_ field: String) -> String? { fields[field] }

    func stop(grace: Duration = .seconds(30)) {
        guard process.isRunning else { return }
        process.terminate()
        let end = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < end { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct ServeError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
