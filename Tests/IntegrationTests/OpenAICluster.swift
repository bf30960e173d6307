import Foundation
import Wire

/// A real three-process cluster for the OpenAI tests: `apus runner --model embedded` (the tiny random-weight CPU
/// model), `apus engine-core`, and `apus api --api-key` in front of it. `stop()` ends all three.
final class OpenAICluster: @unchecked Sendable {
    // NOTE: @unchecked: the state is the child processes, which Foundation synchronizes.
    static let apiKey = "apus-test-key"
    let runner: ApusProcess
    let engine: ApusProcess
    let api: Process
    let httpPort: Int
    private let apiLog: URL

    init() async throws {
        runner = try await ApusProcess(
            ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1", "--seed", "0"], name: "runner",
            timeout: .seconds(120))
        engine = try await ApusProcess(
            ["engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port", "0", "--max-model-len", "512",
             "--num-gpu-blocks-override", "512"], name: "engine", timeout: .seconds(120))
        apiLog = FileManager.default.temporaryDirectory.appendingPathComponent("apus-api-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: apiLog.path, contents: nil)
        api = Process()
        api.executableURL = ApusProcess.binary
        api.arguments = [
            "api", "--upstream", engine.wireAddress, "--port", "0", "--admin-port=-1", "--api-key", Self.apiKey,
        ]
        let stdout = Pipe()
        api.standardOutput = stdout
        api.standardError = try FileHandle(forWritingTo: apiLog)
        try api.run()
        guard let line = Self.readListeningLine(stdout.fileHandleForReading, timeout: .seconds(60)),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("http=") }),
            let port = Int(field.split(separator: ":").last ?? "")
        else {
            api.terminate()
            throw ProcessError("api did not start listening; stderr:\n\(Self.tail(apiLog))")
        }
        httpPort = port
    }

    var baseURL: String { "http://127.0.0.1:\(httpPort)/v1" }

    func stop() {
        if api.isRunning {
            api.terminate()
            api.waitUntilExit()
        }
        engine.stop()
        runner.stop()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: apiLog)
    }

    var apiStderr: String { Self.tail(apiLog) }

    private static func tail(_ url: URL) -> String {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").suffix(30).joined(separator: "\n")
    }

    private static func readListeningLine(_ handle: FileHandle, timeout: Duration) -> String? {
        let end = ContinuousClock.now + timeout
        var buffer = Data()
        while ContinuousClock.now < end {
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
            if let l = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("LISTENING") }) {
                return String(l)
            }
        }
        return nil
    }
}

/// A raw HTTP/1.1 client on a blocking socket, enough to read part of an SSE stream and hang up mid-way.
final class OpenAIRawConnection {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw ProcessError("connect to 127.0.0.1:\(port) failed")
        }
    }

    func post(_ path: String, json: String, headers: [String: String] = [:]) {
        var request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(json.utf8.count)\r\n\r\n\(json)"
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Reads until `marker` has arrived (or the peer closes); returns everything read.
    func read(until marker: String) -> String {
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(marker) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return received
    }

    func close() { _ = Glibc.close(fd) }
}
