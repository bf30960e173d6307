import Testing
@testable import Wire

@Suite("Mutual TLS: the server checks client certificates", .enabled(if: TestCertificates.available, "needs the openssl binary"))
struct MutualTLSTests {
    @Test("a client with a certificate from the server's CA is served")
    func trustedClient() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs, requireClientCertificate: true)) {
            (port) async throws in
            let client = tlsClient(
                port, .client(trustRoots: certs.ca, certificateChain: certs.client.certificate, privateKey: certs.client.key))
            #expect(try await echo(client, "mutual") == "mutual")
            await client.close()
        }
    }

    @Test("a client without a certificate is refused with a clear error, and the server keeps serving")
    func clientWithoutCertificate() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs, requireClientCertificate: true)) {
            (port) async throws in
            let anonymous = tlsClient(port, .client(trustRoots: certs.ca))
            let message = try #require(await failure { _ = try await echo(anonymous) })
            #expect(message.contains("certificate required"))
            let trusted = tlsClient(
                port, .client(trustRoots: certs.ca, certificateChain: certs.client.certificate, privateKey: certs.client.key))
            #expect(try await echo(trusted) == "ping")
            await anonymous.close()
            await trusted.close()
        }
    }

    @Test("a client whose certificate comes from another CA is refused, and the server keeps serving")
    func clientFromAnotherCA() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs, requireClientCertificate: true)) {
            (port) async throws in
            let stranger = tlsClient(
                port,
                .client(trustRoots: certs.ca, certificateChain: certs.strangerClient.certificate,
                        privateKey: certs.strangerClient.key))
            let message = try #require(await failure { _ = try await echo(stranger) })
            #expect(message.contains("unknown ca"))
            let trusted = tlsClient(
                port, .client(trustRoots: certs.ca, certificateChain: certs.client.certificate, privateKey: certs.client.key))
            #expect(try await echo(trusted) == "ping")
            await stranger.close()
            await trusted.close()
        }
    }

    @Test("a server that cannot load its key fails to start with a message naming the file")
    func badServerConfiguration() async throws {
        let certs = try TestCertificates.load()
        let identity = RPCServer.Identity(
            service: "test", tls: .server(certificateChain: certs.server.certificate, privateKey: "/nonexistent.key"))
        let server = RPCServer(host: "127.0.0.1", port: 0, identity: identity, handlers: makeTestHandlers())
        let message = try #require(await failure { try await server.run() })
        #expect(message.contains("cannot load private key /nonexistent.key"))
    }

    @Test("requiring client certificates without a CA file is a configuration error")
    func mutualTLSNeedsCA() throws {
        let config = TLSConfiguration.server(certificateChain: "a.pem", privateKey: "a.key", requireClientCertificate: true)
        #expect(throws: TLSError("TLS configuration: requiring client certificates needs a CA file to verify them against")) {
            _ = try TLSContext.server(config)
        }
    }
}
