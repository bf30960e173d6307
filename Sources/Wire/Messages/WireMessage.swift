import CApusProto

/// A message that travels as a protobuf payload; its C form exists only inside the Wire module.
///
/// Conformers build their C struct inside a `CArena` (every string, array and sub-message the C struct points at
/// is owned by the arena and freed with it) and read themselves back from a message unpacked by libprotobuf-c.
/// The generic `encoded()` / `init(decoding:)` below are the only way the rest of Wire packs or unpacks payloads.
public protocol WireMessage: Sendable {
    /// The protobuf-c descriptor of the C type this message converts to.
    static var descriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }
    /// Builds the C struct; the pointer stays valid while `arena` lives (and is not reset).
    func cMessage(in arena: CArena) -> UnsafeMutablePointer<ProtobufCMessage>
    /// Reads an unpacked C message of `descriptor`'s type. Throws on invalid UTF-8 or a message of another type.
    init(cMessage: UnsafePointer<ProtobufCMessage>) throws(WireDecodingError)
}

/// A payload that could not be decoded: malformed protobuf, invalid UTF-8 in a string, or a value out of range.
public struct WireDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension WireMessage {
    /// Packed size in bytes.
    @inlinable
    public func encodedSize() -> Int {
        let arena = CArena()
        return protobuf_c_message_get_packed_size(cMessage(in: arena))
    }

    /// Packs into a new byte array.
    @inlinable
    public func encoded() -> [UInt8] {
        let arena = CArena()
        return Self.packed(cMessage(in: arena))
    }

    /// Packs into a new byte array, building the C struct in `arena` (reuse one arena per loop and `reset()` it
    /// between messages on a hot path).
    @inlinable
    public func encoded(in arena: CArena) -> [UInt8] {
        Self.packed(cMessage(in: arena))
    }

    /// Packs a C message built by `cMessage(in:)` into a new byte array.
    @inlinable
    public static func packed(_ c: UnsafeMutablePointer<ProtobufCMessage>) -> [UInt8] {
        let size = protobuf_c_message_get_packed_size(c)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = buffer.isEmpty ? 0 : protobuf_c_message_pack(c, buffer.baseAddress!)
        }
    }

    /// Packs a C message into `buffer`, which must hold `protobuf_c_message_get_packed_size(c)` bytes;
    /// returns the bytes written. For encoders that write straight into their own output buffer.
    @inlinable
    public static func pack(_ c: UnsafeMutablePointer<ProtobufCMessage>, into buffer: UnsafeMutableRawBufferPointer)
        -> Int
    {
        precondition(buffer.count >= protobuf_c_message_get_packed_size(c), "buffer too small for the packed message")
        guard let base = buffer.baseAddress else { return 0 }
        return protobuf_c_message_pack(c, base.assumingMemoryBound(to: UInt8.self))
    }

    /// Unpacks and converts; throws `WireDecodingError` on any malformed input, never crashes.
    @inlinable
    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireDecodingError) {
        var empty: UInt8 = 0
        let unpacked = withUnsafePointer(to: &empty) { emptyBase in
            let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBase
            return protobuf_c_message_unpack(Self.descriptor, nil, bytes.count, base)
        }
        guard let unpacked else {
            throw WireDecodingError("malformed \(descriptorName(Self.descriptor)) payload (\(bytes.count) bytes)")
        }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        try self.init(cMessage: UnsafePointer(unpacked))
    }

    /// Unpacks from a byte array.
    @inlinable
    public init(decoding bytes: [UInt8]) throws(WireDecodingError) {
        self = try bytes.withUnsafeBufferPointer { (buffer) throws(WireDecodingError) -> Self in
            try Self(decoding: UnsafeRawBufferPointer(buffer))
        }
    }
}
