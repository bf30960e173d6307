import CApusProto
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

    static func parse(_ raw: UnsafeRawBufferPointer) throws -> Frame {
        let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let c = apus__v1__frame__unpack(nil, raw.count, base) else {
            throw FrameError.malformed("not a valid apus.v1.Frame (\(raw.count) bytes)")
        }
        defer { apus__v1__frame__free_unpacked(c, nil) }
        let f = c.pointee
        guard let kind = FrameKind(rawValue: Int32(bitPattern: f.kind.rawValue)) else {
            throw FrameError.malformed("unknown frame kind \(f.kind.rawValue)")
        }
        let status = StatusCode(rawValue: Int32(bitPattern: f.status.rawValue)) ?? .unknown
        var metadata: [MetadataEntry] = []
        if f.n_metadata > 0 {
            metadata.reserveCapacity(f.n_metadata)
            for i in 0..<f.n_metadata {
                let e = f.metadata[i]!.pointee
                metadata.append(MetadataEntry(try string(e.key, "metadata key"), try string(e.value, "metadata value")))
            }
        }
        let payload =
            f.payload.len == 0
            ? [] : [UInt8](UnsafeBufferPointer(start: f.payload.data, count: f.payload.len))
        return Frame(
            callID: f.call_id, kind: kind, method: try string(f.method, "method"), deadlineMicros: f.deadline_us,
            status: status, statusMessage: try string(f.status_message, "status message"), metadata: metadata,
            payload: payload)
    }

    /// protobuf-c does not check UTF-8; a bad string is a malformed frame.
    static func string(_ p: UnsafeMutablePointer<CChar>?, _ what: String) throws -> String {
        guard let p else { return "" }
        guard let s = String(validatingCString: p) else { throw FrameError.malformed("\(what) is not valid UTF-8") }
        return s
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
