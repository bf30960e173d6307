import NIOCore
import NIOEmbedded
import Testing
@testable import Wire

@Suite("Frame decoder")
struct FrameDecoderTests {
    static func sample(_ i: Int) -> Frame {
        Frame(callID: UInt64(i), kind: .streamMessage, method: "apus.v1.Engine/Generate", deadlineMicros: 5,
              status: .ok, statusMessage: "ünïcode ✓ \(i)", metadata: [MetadataEntry("x-request-id", "r-\(i)")],
              payload: Array(repeating: UInt8(i % 251), count: i * 7))
    }

    static func channel(max: Int = FrameDecoder.defaultMaxFrameBytes) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameBytes: max)))
        return channel
    }

    @Test("a frame fed one byte at a time decodes exactly once, at the last byte")
    func oneByteAtATime() throws {
        let channel = try Self.channel()
        let frame = Self.sample(9)
        let bytes = FrameEncoder.encode(frame)
        for (i, byte) in bytes.readableBytesView.enumerated() {
            try channel.writeInbound(channel.allocator.buffer(bytes: [byte]))
            let out = try channel.readInbound(as: Frame.self)
            if i < bytes.readableBytes - 1 { #expect(out == nil) } else { #expect(out == frame) }
        }
        #expect(try channel.finish().isClean)
    }

    @Test("many frames in one buffer all decode, in order")
    func manyFramesInOneBuffer() throws {
        let channel = try Self.channel()
        var buffer = channel.allocator.buffer(capacity: 0)
        let frames = (0..<200).map(Self.sample)
        for f in frames { FrameEncoder.write(f, into: &buffer) }
        try channel.writeInbound(buffer)
        for f in frames { #expect(try channel.readInbound(as: Frame.self) == f) }
        #expect(try channel.readInbound(as: Frame.self) == nil)
    }

    @Test("a length prefix over the limit fails before the body arrives")
    func lengthOverLimit() throws {
        let channel = try Self.channel(max: 1024)
        var buffer = channel.allocator.buffer(capacity: 4)
        buffer.writeInteger(UInt32(1025))
        #expect(throws: FrameError.tooLarge(length: 1025, limit: 1024)) { try channel.writeInbound(buffer) }
        #expect(FrameError.tooLarge(length: 1025, limit: 1024).status == .resourceExhausted)
    }

    @Test("a frame of exactly the limit is accepted")
    func lengthAtLimit() throws {
        let frame = Frame(callID: 1, kind: .response, payload: [UInt8](repeating: 7, count: 500))
        let size = FrameEncoder.encode(frame).readableBytes - 4
        let channel = try Self.channel(max: size)
        try channel.writeInbound(FrameEncoder.encode(frame))
        #expect(try channel.readInbound(as: Frame.self) == frame)
    }

    @Test("a truncated frame followed by close is reported, not dropped silently")
    func truncatedThenClose() throws {
        let channel = try Self.channel()
        var bytes = FrameEncoder.encode(Self.sample(20))
        let partial = bytes.readSlice(length: bytes.readableBytes / 2)!
        try channel.writeInbound(partial)
        #expect(try channel.readInbound(as: Frame.self) == nil)
        #expect(throws: FrameError.self) { _ = try channel.finish() }
    }

    @Test("a garbage payload is a clear malformed-frame error, never a crash", arguments: [
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // overlong varint
        [0x0A, 0x80],  // length-delimited field running past the end
        [0x10, 0x63],  // unknown frame kind 99
        [0x1A, 0x02, 0xC3, 0x28],  // method that is not UTF-8
        // Found by scripts/fuzz.sh frames: a method with NUL bytes decoded, but FrameEncoder (C strings) wrote it
        // back cut at the first NUL, so a forwarded frame named another method.
        [0x10, 0x02, 0x1A, 0x08] + Array("apus\u{0}x\u{1}y".utf8),
        [0x3A, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x00],  // metadata value "\0"
        [0x07],  // wire type 7 does not exist
    ] as [[UInt8]])
    func garbage(body: [UInt8]) throws {
        let channel = try Self.channel()
        var buffer = channel.allocator.buffer(capacity: 4 + body.count)
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        #expect {
            try channel.writeInbound(buffer)
        } throws: { error in
            guard case .malformed = error as? FrameError else { return false }
            return true
        }
    }

    @Test("random bytes never crash the decoder")
    func fuzz() throws {
        var rng = FrameFuzzRNG(seed: 42)
        for _ in 0..<2000 {
            let n = Int(rng.next() % 64)
            var buffer = ByteBufferAllocator().buffer(capacity: n + 4)
            buffer.writeInteger(UInt32(n))
            for _ in 0..<n { buffer.writeInteger(UInt8(truncatingIfNeeded: rng.next())) }
            _ = try? FrameDecoder.decodeOne(from: &buffer, maxFrameBytes: 1 << 20)
        }
    }

    @Test("the encoder's spliced payload is the same Frame protobuf-c would produce")
    func splicedPayloadMatchesWholeFrame() throws {
        let message = ApusV1.HealthCheckRequest(service: "engine-core")
        var viaMessage = ByteBufferAllocator().buffer(capacity: 64)
        FrameEncoder.write(Frame(callID: 3, kind: .request, method: "m"), message: message, into: &viaMessage)
        let viaBytes = FrameEncoder.encode(Frame(callID: 3, kind: .request, method: "m", payload: message.encoded()))
        #expect(viaMessage == viaBytes)
        let decoded = try FrameDecoder.decodeOne(from: &viaMessage, maxFrameBytes: 1 << 20)
        #expect(try ApusV1.HealthCheckRequest(decoding: decoded!.payload) == message)
    }
}

/// A small deterministic generator for the frame fuzz test.
struct FrameFuzzRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
