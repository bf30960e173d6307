import Foundation
import Wire

/// A real three-process cluster for the OpenAI tests: `apus runner --model embedded` (the tiny random-weight CPU
/// model), `apus engine-core`, and `apus api --api-key` in front of it. `stop()` ends every process.
final class OpenAICluster: Sendable {
    static let apiKey = "apus-test-key"
    let runner: ApusProcess
    let engine: ApusProcess
    let api: ApusProcess

    init(engineArguments: [String] = []) async throws {
        runner = try await ApusProcess(
            ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1", "--seed", "0"], name: "runner",
            timeout: .seconds(120))
        engine = try await ApusProcess(
            [
                "engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port", "0", "--max-model-len",
                "512",
                "--num-gpu-blocks-override", "512",
            ] + engineArguments, name: "engine", timeout: .seconds(120))
        api = try await ApusProcess.api(upstream: engine.wireAddress, apiKey: Self.apiKey)
    }

    var httpPort: Int { api.httpPort }
    var baseURL: String { "http://127.0.0.1:\(httpPort)/v1" }
    var apiStderr: String { api.stderrTail() }

    func stop() {
        api.stop()
        engine.stop()
        runner.stop()
    }
}

extension ApusProcess {
    /// `apus api` in front of `upstream`, on an ephemeral HTTP port (`httpPort`).
    static func api(upstream: String, apiKey: String) async throws -> ApusProcess {
        try await ApusProcess(
            ["api", "--upstream", upstream, "--port", "0", "--admin-port=-1", "--api-key", apiKey], name: "api")
    }

    /// `apus serve` (runner, engine-core, router and api as its children) with the embedded model on a free
    /// port; ready once it announces its OpenAI base URL (`baseURL`). SIGTERM makes serve stop its children
    /// in reverse order.
    static func serve(apiKey: String) async throws -> ApusProcess {
        try await ApusProcess(
            ["serve", "--port", "0", "--api-key", apiKey, "--memory-budget", "512MiB", "--max-model-len", "512"],
            name: "serve", timeout: .seconds(120)
        ) { text in
            text.range(of: #"http://[^ ]+/v1"#, options: .regularExpression).map { String(text[$0]) }
        }
    }

    /// The OpenAI base URL `serve` announced, e.g. http://127.0.0.1:40931/v1.
    var baseURL: String { readyLine }
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
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
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

    func get(_ path: String) {
        let bytes = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
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

    /// Reads one whole response with a Content-Length body; returns the status line and the body.
    func readResponse() -> (status: String, body: String) {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator = Array("\r\n\r\n".utf8)
        var bodyStart: Int?
        var length = 0
        while true {
            if bodyStart == nil, let i = received.indices.first(where: { received[$0...].starts(with: separator) }) {
                bodyStart = i + 4
                let head = String(decoding: received[..<i], as: UTF8.self).lowercased()
                let field = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                length = Int(field?.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            }
            if let start = bodyStart, received.count - start >= length {
                let head = String(decoding: received[..<start], as: UTF8.self)
                let status = String(head.split(separator: "\r\n").first ?? "")
                return (status, String(decoding: received[start..<(start + length)], as: UTF8.self))
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return ("", "") }
            received += buffer[0..<n]
        }
    }

    /// Makes a read that waits longer than `seconds` return what it has (an empty response when nothing came).
    func setReceiveTimeout(seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    func close() { _ = Glibc.close(fd) }
}
