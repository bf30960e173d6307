import NIOCore
import Testing
@testable import Wire

/// A server stream that outruns or outlives its reader: frames wait in the connection's OutboundQueue while the
/// peer's socket is full, and a peer that leaves more than the limit unread is cut off without disturbing others.
@Suite("Server streams under backpressure")
struct BackpressureTests {
    static let flood = "test.Flood/Stream"

    /// `service` is "count:tokens:pauseMicros": `count` outputs of `tokens` ids each, a pause after each.
    static func floodHandlers(cancelled: Flag) -> RPCHandlers {
        var h = makeTestHandlers()
        h.serverStreaming(Self.flood) { (req: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            let parts = req.service.split(separator: ":").compactMap { Int($0) }
            let (count, tokens, pause) = (parts[0], parts[1], parts[2])
            let ids = [Int32](repeating: 7, count: tokens)
            do {
                for i in 0..<count {
                    try writer.send(ApusV1.GenerateOutput(requestID: "\(i)", newTokenIDs: ids))
                    if pause > 0 { try await Task.sleep(for: .microseconds(pause)) } else { await Task.yield() }
                }
            } catch {
                cancelled.set()
                throw error
            }
        }
        return h
    }

    static func identity(limit: Int) -> RPCServer.Identity {
        var identity = RPCServer.Identity(service: "test")
        identity.maxPendingOutboundBytes = limit
        return identity
    }

    @Test("a peer that stops reading is cut off past the unread-output limit; its call is cancelled, others keep working")
    func stalledReaderIsCutOff() async throws {
        let cancelled = Flag()
        try await withTestServer(Self.floodHandlers(cancelled: cancelled), identity: Self.identity(limit: 4 << 20)) { port in
            let peer = try await RawPeer.connect(port: port, reading: false)
            try await peer.sendHello()
            var request = peer.channel.allocator.buffer(capacity: 64)
            // 100,000 outputs of 16k token ids (~1.6 GB in all): far more than sockets and the limit hold.
            FrameEncoder.write(
                Frame(callID: 1, kind: .request, method: Self.flood),
                message: ApusV1.HealthCheckRequest(service: "100000:16384:0"), into: &request)
            try await peer.send(request)
            #expect(await cancelled.wait(timeout: .seconds(20)), "the flood was never cut off")
            let client = testClient(port)
            let echoed = try await client.unary(
                TestMethods.echo, ApusV1.HealthCheckRequest(service: "still here"), as: ApusV1.HealthCheckRequest.self)
            #expect(echoed.service == "still here")
            await client.close()
        }
    }

    @Test("a reader slower than the producer's bursts gets every output, in order, without being cut off")
    func slowReaderGetsEverything() async throws {
        let cancelled = Flag()
        // 2,000 outputs of 64 KiB (128 MiB in all), 8x the limit, paced at up to ~64 MiB/s.
        try await withTestServer(Self.floodHandlers(cancelled: cancelled), identity: Self.identity(limit: 16 << 20)) { port in
            let client = testClient(port)
            let stream = try await client.serverStream(
                Self.flood, ApusV1.HealthCheckRequest(service: "2000:16384:1000"), as: ApusV1.GenerateOutput.self)
            var next = 0
            for try await output in stream {
                #expect(output.requestID == "\(next)" && output.newTokenIDs.count == 16384)
                next += 1
                if next % 100 == 0 { try await Task.sleep(for: .milliseconds(5)) }  // a reader with pauses
            }
            #expect(next == 2000)
            #expect(!cancelled.isSet)
            await client.close()
        }
    }

    @Test("a sender that waits for room streams far more than the unread limit to a slow reader without being cut off")
    func waitForRoomPacesTheSender() async throws {
        let method = "test.Bulk/Stream"
        var h = makeTestHandlers()
        h.serverStreaming(method) { (_: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.KVChunk>) in
            for i in 0..<48 {
                try await writer.waitForRoom(maxQueuedBytes: 1 << 20)
                try writer.send(payloadSize: 4 + (256 << 10)) { out in
                    // KVChunk field 4 (keys), length 256 KiB: varint 0x80 0x80 0x10.
                    for (j, byte) in [0x22, 0x80, 0x80, 0x10].enumerated() { out[j] = UInt8(byte) }
                    out[4...].initializeMemory(as: UInt8.self, repeating: UInt8(i))
                }
            }
        }
        // 12 MiB in all, four times what the server lets a reader leave unread; the peer reads nothing at first.
        try await withTestServer(h, identity: .init(service: "test", maxPendingOutboundBytes: 3 << 20)) { port in
            let peer = try await RawPeer.connect(port: port, reading: false)
            try await peer.sendHello()
            try await peer.send(FrameEncoder.encode(
                Frame(callID: 1, kind: .request, method: method, payload: ApusV1.HealthCheckRequest().encoded())))
            try await Task.sleep(for: .milliseconds(500))
            #expect(peer.channel.isActive, "the sender outran the reader and was cut off")
            try await peer.channel.setOption(.autoRead, value: true)
            peer.channel.read()
            let end = ContinuousClock.now + .seconds(20)
            while !peer.frames.contains(where: { $0.kind == .streamEnd }) && ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(10))
            }
            let chunks = try peer.frames.filter { $0.kind == .streamMessage }.map { try ApusV1.KVChunk(decoding: $0.payload) }
            #expect(chunks.count == 48)
            #expect(chunks.enumerated().allSatisfy { $1.keys.count == 256 << 10 && $1.keys.last == UInt8($0) })
            try await peer.channel.close()
        }
    }
}
