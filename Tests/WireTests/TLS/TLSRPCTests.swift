import Foundation
import Testing
@testable import Wire

/// A TLS server identity for the test PKI; `requireClientCertificate` turns on mutual TLS against the test CA.
func tlsIdentity(_ certs: TestCertificates, requireClientCertificate: Bool = false) -> RPCServer.Identity {
    RPCServer.Identity(
        service: "test",
        tls: .server(
            certificateChain: certs.server.certificate, privateKey: certs.server.key, trustRoots: certs.ca,
            requireClientCertificate: requireClientCertificate))
}

func tlsClient(_ port: Int, _ tls: TLSConfiguration?) -> RPCClient {
    var config = RPCClient.Configuration(service: "test-client")
    config.tls = tls
    config.initialBackoff = .milliseconds(1)
    return RPCClient(host: "127.0.0.1", port: port, configuration: config)
}

func echo(_ client: RPCClient, _ text: String = "ping") async throws -> String {
    try await client.unary(TestMethods.echo, ApusV1.HealthCheckRequest(service: text), as: ApusV1.HealthCheckRequest.self)
        .service
}

/// The message of the error `body` throws, or nil when it does not throw.
func failure(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch {
        return "\(error)"
    }
}

@Suite("TLS: RPCs over OpenSSL on loopback", .enabled(if: TestCertificates.available, "needs the openssl binary"))
struct TLSRPCTests {
    @Test("a unary call round-trips over TLS 1.3, verifying the server by its IP SAN")
    func unary() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs)) { (port) async throws in
            let client = tlsClient(port, .client(trustRoots: certs.ca))
            #expect(try await echo(client, "over tls") == "over tls")
            #expect(try await client.serverHello().service == "test")
            await client.close()
        }
    }

    @Test("a 10,000-message server stream arrives complete and in order over TLS")
    func stream() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs)) { (port) async throws in
            let client = tlsClient(port, .client(trustRoots: certs.ca))
            let stream = try await client.serverStream(
                TestMethods.count, ApusV1.HealthCheckRequest(service: "10000"), as: ApusV1.GenerateOutput.self)
            var next: Int32 = 0
            for try await output in stream {
                #expect(output.newTokenIDs == [next])
                next += 1
            }
            #expect(next == 10_000)
            await client.close()
        }
    }

    @Test("the server name can differ from the address dialled: localhost is in the server's SANs")
    func serverNameOverride() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs)) { (port) async throws in
            let client = tlsClient(port, .client(trustRoots: certs.ca, serverName: "localhost"))
            #expect(try await echo(client) == "ping")
            await client.close()
        }
    }

    @Test("a client refuses a server whose certificate does not name it, with a hostname-mismatch error")
    func wrongHostname() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs)) { (port) async throws in
            let client = tlsClient(port, .client(trustRoots: certs.ca, serverName: "engine.example"))
            let message = try #require(await failure { _ = try await echo(client) })
            #expect(message.contains("TLS handshake failed: certificate verify failed (hostname mismatch)"))
            await client.close()
        }
    }

    @Test("a client refuses a server signed by a CA it does not trust")
    func untrustedServer() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs)) { (port) async throws in
            let client = tlsClient(port, .client(trustRoots: certs.otherCA))
            let message = try #require(await failure { _ = try await echo(client) })
            #expect(message.contains("TLS handshake failed: certificate verify failed ("))
            await client.close()
        }
    }

    @Test("a plaintext client is told the server requires TLS, and the server keeps serving TLS clients")
    func plaintextClient() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs)) { (port) async throws in
            let plaintext = tlsClient(port, nil)
            let message = try #require(await failure { _ = try await echo(plaintext) })
            #expect(message.contains("requires TLS"), "\(message)")
            let client = tlsClient(port, .client(trustRoots: certs.ca))
            #expect(try await echo(client) == "ping")
            await plaintext.close()
            await client.close()
        }
    }

    @Test("a TLS client against a plaintext server fails the handshake instead of hanging")
    func plaintextServer() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers()) { (port) async throws in
            let client = tlsClient(port, .client(trustRoots: certs.ca))
            let message = try #require(await failure { _ = try await echo(client) })
            #expect(message.contains("TLS handshake failed"))
            await client.close()
        }
    }
}
