import Foundation
import NIOCore
import Testing
@testable import Wire

@Suite("TLS cost: unary latency with and without TLS", .serialized, .enabled(if: TestCertificates.available, "needs the openssl binary"))
struct TLSLatencyTests {
    /// Median and 99th percentile of `calls` sequential small unary echoes on one warm connection, in microseconds.
    func unaryLatency(_ client: RPCClient, calls: Int) async throws -> (p50: Double, p99: Double) {
        for _ in 0..<200 { _ = try await echo(client) }
        var micros: [Double] = []
        micros.reserveCapacity(calls)
        let clock = ContinuousClock()
        for _ in 0..<calls {
            let elapsed = try await clock.measure { _ = try await echo(client) }
            micros.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
        }
        micros.sort()
        return (micros[calls / 2], micros[calls * 99 / 100])
    }

    @Test("unary p50 over TLS is reported next to plaintext on the same machine (printed, not asserted)")
    func unaryP50() async throws {
        let certs = try TestCertificates.load()
        let calls = 2000
        let plain = try await withTestServer(makeTestHandlers()) { (port) async throws in
            let client = tlsClient(port, nil)
            let latency = try await unaryLatency(client, calls: calls)
            await client.close()
            return latency
        }
        let tls = try await withTestServer(makeTestHandlers(), identity: tlsIdentity(certs)) { (port) async throws in
            let client = tlsClient(port, .client(trustRoots: certs.ca))
            let latency = try await unaryLatency(client, calls: calls)
            await client.close()
            return latency
        }
        func f(_ v: Double) -> String { String(Int(v.rounded())) }
        print("""
            TLS latency (\(calls) sequential unary echoes, one connection): \
            plaintext p50 \(f(plain.p50)) µs p99 \(f(plain.p99)) µs; \
            TLS 1.3 p50 \(f(tls.p50)) µs p99 \(f(tls.p99)) µs
            """)
        #expect(plain.p50 > 0 && tls.p50 > 0)
    }

    @Test("OpenSSL alone: one 100-byte message each way between in-memory connections (printed, not asserted)")
    func inMemoryRoundTrip() throws {
        let certs = try TestCertificates.load()
        let client = try TLSConnection(context: TLSContext(.client(trustRoots: certs.ca)), role: .client(serverName: "localhost"))
        let server = try TLSConnection(
            context: TLSContext(.server(certificateChain: certs.server.certificate, privateKey: certs.server.key)),
            role: .server)
        _ = client.handshake()
        pump(client, server)
        let allocator = ByteBufferAllocator()
        let message = ByteBuffer(repeating: 7, count: 100)
        let rounds = 20_000
        let elapsed = ContinuousClock().measure {
            for _ in 0..<rounds {
                for (from, to) in [(client, server), (server, client)] {
                    _ = from.write(message)
                    to.feed(from.takeCiphertext(allocator: allocator)!)
                    var plaintext = allocator.buffer(capacity: 128)
                    _ = to.read(into: &plaintext)
                }
            }
        }
        let micros = (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
            / Double(rounds)
        print("TLS in-memory: \(String(format: "%.1f", micros)) µs per round trip (2 encryptions + 2 decryptions)")
        #expect(micros > 0)
    }
}
