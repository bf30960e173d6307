import Foundation

/// A child `apus` process started by `apus serve`: it reads the child's LISTENING line to learn its ports and
/// forwards the rest of its stdout.
///
/// The child's stdin is a pipe whose write end only this process holds, and the child is told to exit when it
/// reads end-of-file there (`ParentLifeline`): whatever ends `apus serve`, even SIGKILL, its children follow.
final class ChildProcess: @unchecked Sendable {
    // NOTE: @unchecked: Process is internally synchronized; `fields` is written once before start() returns.
    let name: String
    let arguments: [String]
    let process = Process()
    private let lifeline = Pipe()
    private(set) var fields: [String: String] = [:]
    /// Whether the process was started (a Process that never ran has no status to read).
    private(set) var launched = false

    init(name: String, arguments: [String]) {
        self.name = name
        self.arguments = arguments
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[ParentLifeline.variable] = "1"
        process.environment = environment
    }

    /// Launches and waits until the child prints its LISTENING line (or exits, or the timeout passes). Blocks its
    /// thread while it waits; cancelling the calling task kills the child, which ends the wait.
    func start(timeout: Duration = .seconds(600)) async throws {
        try await withTaskCancellationHandler {
            try launch(timeout: timeout)
        } onCancel: {
            kill()
        }
    }

    private func launch(timeout: Duration) throws {
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        process.standardInput = lifeline
        try process.run()
        launched = true
        let handle = pipe.fileHandleForReading
        let end = ContinuousClock.now + timeout
        var buffer = Data()
        while ContinuousClock.now < end {
            let chunk = handle.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw ServeError("\(name) exited before it started listening (status \(exitStatus))")
            }
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
        kill()
        throw ServeError("\(name) did not start listening within \(timeout)")
    }

    /// The same child again on the ports this one had, so its peers find it where they left it: `--port` becomes
    /// the port of its `wire` (or `http`) listener, `--admin-port` that of its `admin` one.
    func replacement() -> ChildProcess {
        func port(_ field: String) -> String? { fields[field]?.split(separator: ":").last.map(String.init) }
        let pinned = ["--port": port("wire") ?? port("http"), "--admin-port": port("admin")]
        var args = arguments
        for i in args.indices.dropLast() {
            if let flag = pinned[args[i]], let value = flag { args[i + 1] = value }
        }
        return ChildProcess(name: name, arguments: args)
    }

    /// Keeps draining the child's stdout so it never blocks on a full pipe.
    private func forwardRest(of handle: FileHandle) {
        handle.readabilityHandler = { h in
            let data = h.availableData
            if data.isEmpty { h.readabilityHandler = nil } else { FileHandle.standardOutput.write(data) }
        }
    }

    var exitStatus: Int32 { !launched || process.isRunning ? -1 : process.terminationStatus }

    func waitUntilExit() { if launched { process.waitUntilExit() } }
    var isRunning: Bool { process.isRunning }

    /// "HOST:PORT" of a field (wire, admin, http).
    func address(_ field: String) -> String? { fields[field] }

    /// SIGTERM: the child drains and exits.
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// SIGTERM, then SIGKILL after `grace`; blocks until the child is gone.
    func stop(grace: Duration = .seconds(10)) {
        guard process.isRunning else { return }
        terminate()
        let end = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < end { usleep(20_000) }
        kill()
        process.waitUntilExit()
    }

    /// SIGKILL.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

struct ServeError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
