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

@Suite("Mutual TLS: allowed peer names", .enabled(if: TestCertificates.available, "needs the openssl binary"))
struct AllowedPeerNamesTests {
    func identity(_ certs: TestCertificates, allowing names: [String]) -> RPCServer.Identity {
        var identity = tlsIdentity(certs, requireClientCertificate: true)
        identity.tls?.allowedPeerNames = names
        return identity
    }

    func trustedClient(_ port: Int, _ certs: TestCertificates) -> RPCClient {
        tlsClient(port, .client(trustRoots: certs.ca, certificateChain: certs.client.certificate, privateKey: certs.client.key))
    }

    @Test("a client whose certificate names an allowed peer is served")
    func allowed() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: identity(certs, allowing: ["engine-core", "test-client"])) {
            (port) async throws in
            let client = trustedClient(port, certs)
            #expect(try await echo(client) == "ping")
            await client.close()
        }
    }

    @Test("a trusted client whose certificate names nobody allowed gets PERMISSION_DENIED naming its subject")
    func notAllowed() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: identity(certs, allowing: ["engine-core"])) {
            (port) async throws in
            let client = trustedClient(port, certs)
            let message = try #require(await failure { _ = try await echo(client) })
            #expect(message.hasPrefix("PERMISSION_DENIED"), "\(message)")
            #expect(message.contains("/O=Apus Test/CN=test-client") && message.contains("engine-core"), "\(message)")
            await client.close()
        }
    }
}
