import CApusProto
import NIOCore

/// Writes frames into a `ByteBuffer`: the header fields through libprotobuf-c, the payload packed straight into
/// the buffer behind them as field 8 (`bytes payload`), so a large message is never copied twice.
///
/// The result is exactly what protobuf-c would produce for the whole Frame (fields may appear in any order).
public enum FrameEncoder {
    /// Field 8, wire type 2 (length-delimited).
    static let payloadTag: UInt8 = 0x42

    /// Appends one length-prefixed frame whose payload is `message`.
    public static func write<M: WireMessage>(_ header: Frame, message: M, into buffer: inout ByteBuffer) {
        let arena = CArena()
        let payload = message.cMessage(in: arena)
        let payloadSize = protobuf_c_message_get_packed_size(payload)
        write(header, payloadSize: payloadSize, arena: arena, into: &buffer) { out in
            _ = protobuf_c_message_pack(payload, out)
        }
    }

    /// Appends one length-prefixed frame; the payload is `header.payload` (often empty).
    public static func write(_ header: Frame, into buffer: inout ByteBuffer) {
        let bytes = header.payload
        write(header, payloadSize: bytes.count, arena: CArena(), into: &buffer) { out in
            bytes.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { out.update(from: base, count: src.count) }
            }
        }
    }

    /// Appends one length-prefixed frame whose payload of exactly `payloadSize` bytes `writePayload` writes straight
    /// into the buffer: a sender that gathers bulk bytes from its own memory (KV blocks) copies them once.
    ///
    /// `writePayload` must fill the whole region it is handed with a valid encoding of the call's message type.
    public static func write(
        _ header: Frame, payloadSize: Int, into buffer: inout ByteBuffer,
        writePayload: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        precondition(header.payload.isEmpty, "the payload is written by writePayload")
        write(header, payloadSize: payloadSize, arena: CArena(), into: &buffer) { out in
            writePayload(UnsafeMutableRawBufferPointer(start: out, count: payloadSize))
        }
    }

    /// A frame as a new buffer (tests, one-off control frames).
    public static func encode(_ header: Frame, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64 + header.payload.count)
        write(header, into: &buffer)
        return buffer
    }

    private static func write(
        _ header: Frame, payloadSize: Int, arena: CArena, into buffer: inout ByteBuffer,
        packPayload: (UnsafeMutablePointer<UInt8>) -> Void
    ) {
        withCFrameHeader(header, arena: arena) { cHeader in
            let headerSize = protobuf_c_message_get_packed_size(cHeader)
            let payloadFieldSize = payloadSize == 0 ? 0 : 1 + varintSize(UInt64(payloadSize)) + payloadSize
            let total = headerSize + payloadFieldSize
            buffer.writeInteger(UInt32(truncatingIfNeeded: total), endianness: .big)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw in
                let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var n = protobuf_c_message_pack(cHeader, out)
                if payloadSize > 0 {
                    out[n] = payloadTag
                    n += 1
                    n += writeVarint(UInt64(payloadSize), to: out + n)
                    packPayload(out + n)
                    n += payloadSize
                }
                return n
            }
        }
    }

    /// Builds the C header (payload left empty) in the frame's one arena (shared with the payload message).
    private static func withCFrameHeader<R>(
        _ f: Frame, arena: CArena, _ body: (UnsafeMutablePointer<ProtobufCMessage>) -> R
    ) -> R {
        var c = Apus__V1__Frame()
        apus__v1__frame__init(&c)
        c.call_id = f.callID
        c.kind = Apus__V1__FrameKind(rawValue: UInt32(bitPattern: f.kind.rawValue))
        c.deadline_us = f.deadlineMicros
        c.status = Apus__V1__StatusCode(rawValue: UInt32(bitPattern: f.status.rawValue))
        c.method = f.method.isEmpty ? nil : arena.cString(f.method)
        c.status_message = f.statusMessage.isEmpty ? nil : arena.cString(f.statusMessage)
        if !f.metadata.isEmpty {
            let entries = arena.allocate(UnsafeMutablePointer<Apus__V1__MetadataEntry>?.self, count: f.metadata.count)
            for (i, m) in f.metadata.enumerated() {
                let e = arena.allocate(Apus__V1__MetadataEntry.self, count: 1)
                apus__v1__metadata_entry__init(e)
                e.pointee.key = arena.cString(m.key)
                e.pointee.value = arena.cString(m.value)
                entries[i] = e
            }
            c.n_metadata = f.metadata.count
            c.metadata = entries
        }
        return withUnsafeMutablePointer(to: &c) { p in
            p.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { body($0) }
        }
    }

    static func varintSize(_ v: UInt64) -> Int {
        var v = v
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    static func writeVarint(_ v: UInt64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var v = v
        var i = 0
        while v >= 0x80 {
            out[i] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            i += 1
        }
        out[i] = UInt8(v)
        return i + 1
    }
}
