import COpenSSL
import Foundation

/// A throwaway certificate authority in a private directory, issuing one certificate per service for mutual TLS on
/// loopback: what `apus serve --tls` runs its internal links on (docs/architecture.md §3.7).
///
/// Keys are EC P-256, made in this process by OpenSSL (no `openssl` binary needed); key files are mode 0600 and the
/// directory 0700. Service certificates name `IP:127.0.0.1` and `DNS:localhost` and serve as both server and client
/// certificates. Nothing is reused across runs: the caller deletes `directory` when done.
public struct ThrowawayPKI: Sendable {
    public let directory: URL
    /// The CA certificate (PEM): every service's `--tls-ca`.
    public let caCertificate: String
    let caKey: String
    public let days: Int

    /// Creates the directory (0700) and the CA in it.
    public init(directory: URL, days: Int = 30) throws {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        self.directory = directory
        self.days = days
        caCertificate = directory.appendingPathComponent("ca.pem").path
        caKey = directory.appendingPathComponent("ca.key").path
        // NOTE: a name of its own, so a certificate from another run's CA is refused as from an unknown CA.
        let name = "apus serve CA \(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        guard apus_tls_issue_certificate(name, nil, Int32(days), nil, nil, caCertificate, caKey) == 1 else {
            throw TLSError("cannot make the throwaway CA in \(directory.path): \(OpenSSLErrors.drain())")
        }
    }

    /// A certificate and key for `name` (one per service), signed by the CA: PEM paths.
    public func issue(_ name: String) throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("\(name).pem").path
        let key = directory.appendingPathComponent("\(name).key").path
        guard apus_tls_issue_certificate(
            name, "IP:127.0.0.1,DNS:localhost", Int32(days), caCertificate, caKey, certificate, key) == 1
        else {
            throw TLSError("cannot issue a certificate for \(name): \(OpenSSLErrors.drain())")
        }
        return (certificate, key)
    }
}
