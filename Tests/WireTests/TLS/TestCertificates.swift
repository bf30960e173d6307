import Foundation

/// A throwaway PKI made with the `openssl` CLI in a temp directory, once per test process.
///
/// `ca` signs `server` (SANs localhost and 127.0.0.1, serverAuth + clientAuth) and `client` (CN test-client);
/// `otherCA` signs `strangerClient`, which `ca` does not trust.
struct TestCertificates: Sendable {
    struct Pair: Sendable {
        var certificate: String
        var key: String
    }

    var directory: String
    var ca: String
    var otherCA: String
    var server: Pair
    var client: Pair
    var strangerClient: Pair

    static let opensslPath: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// True when tests that need certificates can run; they are skipped with a message otherwise.
    static var available: Bool { opensslPath != nil }

    static let shared: Result<TestCertificates, any Error> = Result { try make() }

    static func load() throws -> TestCertificates { try shared.get() }

    private static func make() throws -> TestCertificates {
        guard let openssl = opensslPath else { throw CertificateError("the openssl binary is missing") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apus-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tool = Tool(openssl: openssl, directory: dir)
        try tool.makeCA("ca", subject: "/O=Apus Test/CN=Apus Test CA")
        try tool.makeCA("other-ca", subject: "/O=Elsewhere/CN=Other CA")
        try tool.makeLeaf(
            "server", subject: "/O=Apus Test/CN=runner", ca: "ca",
            extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth")
        try tool.makeLeaf(
            "client", subject: "/O=Apus Test/CN=test-client", ca: "ca", extensions: "extendedKeyUsage=clientAuth")
        try tool.makeLeaf(
            "stranger", subject: "/O=Elsewhere/CN=stranger", ca: "other-ca", extensions: "extendedKeyUsage=clientAuth")
        func pair(_ name: String) -> Pair { Pair(certificate: "\(dir)/\(name).pem", key: "\(dir)/\(name).key") }
        return TestCertificates(
            directory: dir, ca: "\(dir)/ca.pem", otherCA: "\(dir)/other-ca.pem", server: pair("server"),
            client: pair("client"), strangerClient: pair("stranger"))
    }

    private struct Tool {
        var openssl: String
        var directory: String

        func makeCA(_ name: String, subject: String) throws {
            try write("\(name).ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
            try run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(name).key")
            try run("req", "-new", "-key", "\(name).key", "-subj", subject, "-out", "\(name).csr")
            try run("x509", "-req", "-in", "\(name).csr", "-signkey", "\(name).key", "-days", "2",
                    "-extfile", "\(name).ext", "-out", "\(name).pem")
        }

        func makeLeaf(_ name: String, subject: String, ca: String, extensions: String) throws {
            try write("\(name).ext", "basicConstraints=CA:FALSE\n\(extensions)\n")
            try run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(name).key")
            try run("req", "-new", "-key", "\(name).key", "-subj", subject, "-out", "\(name).csr")
            try run("x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key",
                    "-set_serial", String(Int.random(in: 2..<1 << 40)), "-days", "2", "-extfile", "\(name).ext",
                    "-out", "\(name).pem")
        }

        private func write(_ file: String, _ text: String) throws {
            try text.write(toFile: "\(directory)/\(file)", atomically: true, encoding: .utf8)
        }

        private func run(_ arguments: String...) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CertificateError(
                    "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))")
            }
        }
    }
}

struct CertificateError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
