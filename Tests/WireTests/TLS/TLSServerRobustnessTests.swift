import NIOCore
import Testing
@testable import Wire

@Suite("TLS servers shed bad peers and keep serving", .enabled(if: TestCertificates.available, "needs the openssl binary"))
struct TLSServerRobustnessTests {
    func identity(_ certs: TestCertificates, handshakeTimeout: Duration) -> RPCServer.Identity {
        var identity = tlsIdentity(certs)
        identity.tls?.handshakeTimeout = handshakeTimeout
        return identity
    }

    @Test("a peer that connects and never finishes a handshake is closed after the handshake timeout")
    func handshakeTimeout() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: identity(certs, handshakeTimeout: .milliseconds(300))) {
            (port) async throws in
            // The server's timer starts when it accepts, which is after `start`: so the close can come no
            // sooner than the timeout, however slowly a loaded machine runs the connects below.
            let start = ContinuousClock.now
            let silent = try await RawPeer.connect(port: port)
            let stalled = try await RawPeer.connect(port: port)
            try await stalled.send(ByteBuffer(bytes: [0x16, 0x03, 0x01]))  // the start of a ClientHello record
            #expect(await silent.waitForClose(timeout: .seconds(5)))
            #expect(await stalled.waitForClose(timeout: .seconds(5)))
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            let client = tlsClient(port, .client(trustRoots: certs.ca))
            #expect(try await echo(client) == "ping")
            await client.close()
        }
    }

    @Test("a peer that sends a handshake record of garbage is closed at once")
    func garbageRecord() async throws {
        let certs = try TestCertificates.load()
        try await withTestServer(makeTestHandlers(), identity: identity(certs, handshakeTimeout: .seconds(30))) {
            (port) async throws in
            let peer = try await RawPeer.connect(port: port)
            try await peer.send(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x08] + Array(repeating: 0xAB, count: 8)))
            #expect(await peer.waitForClose(timeout: .seconds(5)))
            let client = tlsClient(port, .client(trustRoots: certs.ca))
            #expect(try await echo(client) == "ping")
            await client.close()
        }
    }
}
