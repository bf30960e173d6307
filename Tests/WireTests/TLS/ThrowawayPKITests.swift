import Foundation
import Testing

@testable import Wire

@Suite("A throwaway PKI made in process (apus serve --tls)")
struct ThrowawayPKITests {
    static func makePKI() throws -> ThrowawayPKI {
        try ThrowawayPKI(directory: FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID())"))
    }

    @Test("services with certificates from one PKI talk mutual TLS; a client from another PKI is refused")
    func mutualTLS() async throws {
        let pki = try Self.makePKI()
        let other = try Self.makePKI()
        defer {
            try? FileManager.default.removeItem(at: pki.directory)
            try? FileManager.default.removeItem(at: other.directory)
        }
        let server = try pki.issue("runner")
        let client = try pki.issue("engine-core")
        let stranger = try other.issue("engine-core")
        let identity = RPCServer.Identity(
            service: "test",
            tls: .server(
                certificateChain: server.certificate, privateKey: server.key, trustRoots: pki.caCertificate,
                requireClientCertificate: true))
        try await withTestServer(makeTestHandlers(), identity: identity) { (port) async throws in
            let trusted = tlsClient(
                port, .client(trustRoots: pki.caCertificate, certificateChain: client.certificate, privateKey: client.key))
            #expect(try await echo(trusted, "mutual") == "mutual")
            let refused = tlsClient(
                port,
                .client(trustRoots: pki.caCertificate, certificateChain: stranger.certificate, privateKey: stranger.key))
            let message = try #require(await failure { _ = try await echo(refused) })
            #expect(message.contains("unknown ca"))
            await trusted.close()
            await refused.close()
        }
    }

    @Test("keys are private to the owner and the directory to the process's user")
    func permissions() throws {
        let pki = try Self.makePKI()
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let pair = try pki.issue("router")
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(try mode(pair.key) == 0o600)
        #expect(try mode(pki.directory.path) == 0o700)
        #expect(try String(contentsOfFile: pair.certificate, encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----"))
    }
}
