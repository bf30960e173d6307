import NIOCore
import Testing
@testable import Wire

/// Moves ciphertext between two in-memory TLS connections; `chunk` bytes at a time (1 = drip-feed).
func pump(_ a: TLSConnection, _ b: TLSConnection, chunk: Int = .max) {
    let allocator = ByteBufferAllocator()
    for _ in 0..<64 {
        var moved = false
        for (from, to) in [(a, b), (b, a)] {
            guard var bytes = from.takeCiphertext(allocator: allocator) else { continue }
            moved = true
            while bytes.readableBytes > 0 {
                to.feed(bytes.readSlice(length: min(chunk, bytes.readableBytes))!)
                if !to.isHandshakeDone { _ = to.handshake() }
            }
        }
        if !a.isHandshakeDone { _ = a.handshake() }
        if !b.isHandshakeDone { _ = b.handshake() }
        if !moved && a.isHandshakeDone && b.isHandshakeDone { return }
    }
}

@Suite("TLSConnection: OpenSSL over memory BIOs, no sockets", .enabled(if: TestCertificates.available, "needs the openssl binary"))
struct TLSConnectionTests {
    func pair(clientCertificate: Bool = false) throws -> (client: TLSConnection, server: TLSConnection) {
        let certs = try TestCertificates.load()
        let server = try TLSContext(.server(
            certificateChain: certs.server.certificate, privateKey: certs.server.key, trustRoots: certs.ca,
            requireClientCertificate: clientCertificate))
        let client = try TLSContext(clientCertificate
            ? .client(trustRoots: certs.ca, certificateChain: certs.client.certificate, privateKey: certs.client.key)
            : .client(trustRoots: certs.ca))
        return (try TLSConnection(context: client, role: .client(serverName: "localhost")),
                try TLSConnection(context: server, role: .server))
    }

    @Test("a handshake fed one byte at a time completes on both sides with TLS 1.3")
    func dripFedHandshake() throws {
        let (client, server) = try pair()
        #expect(client.handshake() == .wantRead)
        pump(client, server, chunk: 1)
        #expect(client.isHandshakeDone && server.isHandshakeDone)
        #expect(client.protocolVersion == "TLSv1.3")
        #expect(client.peerIdentity()?.commonName == "runner")
        #expect(server.peerIdentity() == nil)
    }

    @Test("plaintext written on one side reads back byte for byte on the other, in either direction")
    func roundTrip() throws {
        let (client, server) = try pair()
        _ = client.handshake()
        pump(client, server)
        let message = ByteBuffer(bytes: (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        #expect(client.write(message) == nil)
        pump(client, server, chunk: 1000)
        var received = ByteBufferAllocator().buffer(capacity: 0)
        #expect(server.read(into: &received) == .wantRead)
        #expect(received == message)
        #expect(server.write(ByteBuffer(string: "reply")) == nil)
        pump(client, server)
        var reply = ByteBufferAllocator().buffer(capacity: 0)
        _ = client.read(into: &reply)
        #expect(String(buffer: reply) == "reply")
    }

    @Test("the server sees the client certificate's subject after a mutual handshake")
    func clientIdentity() throws {
        let (client, server) = try pair(clientCertificate: true)
        _ = client.handshake()
        pump(client, server)
        let peer = try #require(server.peerIdentity())
        #expect(peer.commonName == "test-client")
        #expect(peer.subject == "/O=Apus Test/CN=test-client")
    }

    @Test("close_notify from one side reads as .closed on the other")
    func closeNotify() throws {
        let (client, server) = try pair()
        _ = client.handshake()
        pump(client, server)
        client.shutdown()
        pump(client, server)
        var nothing = ByteBufferAllocator().buffer(capacity: 0)
        #expect(server.read(into: &nothing) == .closed)
    }

    @Test("a corrupted record fails the connection with OpenSSL's reason")
    func corruptedRecord() throws {
        let (client, server) = try pair()
        _ = client.handshake()
        pump(client, server)
        #expect(client.write(ByteBuffer(string: "secret")) == nil)
        var record = try #require(client.takeCiphertext(allocator: ByteBufferAllocator()))
        let last = record.writerIndex - 1
        record.setInteger(record.getInteger(at: last, as: UInt8.self)! ^ 0xFF, at: last)
        server.feed(record)
        var plaintext = ByteBufferAllocator().buffer(capacity: 0)
        guard case .failed(let error) = server.read(into: &plaintext) else {
            Issue.record("a tampered record was accepted")
            return
        }
        #expect(error.message.hasPrefix("TLS connection failed: "))
        #expect(plaintext.readableBytes == 0)
    }

    @Test("a peer limited to TLS 1.2 still connects, and a server whose minimum is TLS 1.3 refuses it")
    func protocolVersions() throws {
        let certs = try TestCertificates.load()
        var old = TLSConfiguration.client(trustRoots: certs.ca)
        old.maximumVersion = .tls12
        var serverConfig = TLSConfiguration.server(certificateChain: certs.server.certificate, privateKey: certs.server.key)
        let client = try TLSConnection(context: TLSContext(old), role: .client(serverName: "127.0.0.1"))
        let server = try TLSConnection(context: TLSContext(serverConfig), role: .server)
        _ = client.handshake()
        pump(client, server)
        #expect(client.isHandshakeDone && server.isHandshakeDone)
        #expect(server.protocolVersion == "TLSv1.2")

        serverConfig.minimumVersion = .tls13
        let strictServer = try TLSConnection(context: TLSContext(serverConfig), role: .server)
        let oldClient = try TLSConnection(context: TLSContext(old), role: .client(serverName: "127.0.0.1"))
        _ = oldClient.handshake()
        strictServer.feed(oldClient.takeCiphertext(allocator: ByteBufferAllocator())!)
        guard case .failed(let error) = strictServer.handshake() else {
            Issue.record("a TLS 1.3-only server accepted a TLS 1.2 client")
            return
        }
        #expect(error.message.hasPrefix("TLS handshake failed: "), "\(error.message)")
    }
}
