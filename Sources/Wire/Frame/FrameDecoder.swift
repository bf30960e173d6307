import NIOCore

/// Splits the byte stream into frames: `uint32 big-endian length` + an `apus.v1.Frame` of that length.
///
/// A length over `maxFrameBytes` throws `FrameError.tooLarge` before any payload is buffered (the connection
/// handler answers RESOURCE_EXHAUSTED and closes); undecodable bytes throw `FrameError.malformed`. Either error
/// ends only this connection.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    /// 64 MiB (docs/architecture.md §3.1).
    public static let defaultMaxFrameBytes = 64 << 20

    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = FrameDecoder.defaultMaxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.decodeOne(from: &buffer, maxFrameBytes: maxFrameBytes) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let pending = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: pending)
            throw FrameError.truncated(bufferedBytes: pending)
        }
        return .needMoreData
    }

    /// Reads one frame if the buffer holds a whole one; consumes nothing otherwise. Pure: usable without a channel.
    public static func decodeOne(from buffer: inout ByteBuffer, maxFrameBytes: Int) throws -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard Int(length) <= maxFrameBytes else { throw FrameError.tooLarge(length: Int(length), limit: maxFrameBytes) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readSlice(length: Int(length))!
        return try body.withUnsafeReadableBytes { raw in try parse(raw) }
    }

    /// Reads the frame's fields in one pass; the payload is copied once, straight out of the connection's buffer
    /// (protobuf-c's unpack would copy it into its own allocation first). Unknown fields are skipped.
    static func parse(_ raw: UnsafeRawBufferPointer) throws -> Frame {
        do {
            var frame = Frame(callID: 0, kind: .unspecified)
            var reader = ProtobufFieldReader(raw)
            var kind: UInt64 = 0
            var status: UInt64 = 0
            while let (field, type) = try reader.nextField() {
                switch (field, type) {
                case (1, .varint): frame.callID = try reader.varint()
                case (2, .varint): kind = try reader.varint()
                case (3, .lengthDelimited): frame.method = try reader.string("method")
                case (4, .varint): frame.deadlineMicros = try reader.varint()
                case (5, .varint): status = try reader.varint()
                case (6, .lengthDelimited): frame.statusMessage = try reader.string("status message")
                case (7, .lengthDelimited):
                    let range = try reader.lengthDelimited()
                    frame.metadata.append(try metadataEntry(UnsafeRawBufferPointer(rebasing: raw[range])))
                case (8, .lengthDelimited): frame.payload = try reader.byteArray()
                default: try reader.skip(type)
                }
            }
            guard kind <= UInt64(Int32.max), let k = FrameKind(rawValue: Int32(kind)) else {
                throw FrameError.malformed("unknown frame kind \(kind)")
            }
            frame.kind = k
            frame.status = StatusCode(rawValue: Int32(truncatingIfNeeded: status)) ?? .unknown
            return frame
        } catch let error as WireDecodingError {
            throw FrameError.malformed("not a valid apus.v1.Frame (\(raw.count) bytes): \(error.message)")
        }
    }

    static func metadataEntry(_ raw: UnsafeRawBufferPointer) throws(WireDecodingError) -> MetadataEntry {
        var reader = ProtobufFieldReader(raw)
        var entry = MetadataEntry("", "")
        while let (field, type) = try reader.nextField() {
            switch (field, type) {
            case (1, .lengthDelimited): entry.key = try reader.string("metadata key")
            case (2, .lengthDelimited): entry.value = try reader.string("metadata value")
            default: try reader.skip(type)
            }
        }
        return entry
    }
}

/// Why a connection's byte stream could not be framed.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(length: Int, limit: Int)
    case malformed(String)
    case truncated(bufferedBytes: Int)

    public var description: String {
        switch self {
        case .tooLarge(let length, let limit): "frame of \(length) bytes exceeds the limit of \(limit) bytes"
        case .malformed(let why): "malformed frame: \(why)"
        case .truncated(let n): "connection closed inside a frame (\(n) bytes buffered)"
        }
    }

    /// The status the peer is told before the connection closes.
    public var status: StatusCode {
        switch self {
        case .tooLarge: .resourceExhausted
        case .malformed, .truncated: .invalidArgument
        }
    }
}
