/// Reads protobuf fields straight from encoded bytes, without building a message: frame headers, and the few
/// fields a forwarder needs from a payload it passes on as it came (docs/architecture.md §3.1).
///
/// Every length and varint is bounds-checked; malformed input throws `WireDecodingError`, never traps. Unknown
/// fields are skipped, as protobuf requires. Groups (wire types 3 and 4, unused since proto2) are refused.
public struct ProtobufFieldReader: ~Copyable {
    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The next field's number and wire type, or nil at the end. Read or `skip` its value before the next call.
    public mutating func nextField() throws(WireDecodingError) -> (number: UInt32, type: WireType)? {
        guard offset < bytes.count else { return nil }
        let key = try varint()
        guard let type = WireType(rawValue: UInt8(key & 7)), key >> 3 != 0, key >> 3 <= UInt64(UInt32.max) else {
            throw WireDecodingError("malformed field key \(key) at byte \(offset)")
        }
        return (UInt32(key >> 3), type)
    }

    /// A varint value (also how enums, bools and int32/uint32/uint64 travel).
    public mutating func varint() throws(WireDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw WireDecodingError("truncated varint at byte \(offset)") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw WireDecodingError("varint longer than 10 bytes at byte \(offset)") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// The byte range of a length-delimited value (string, bytes, sub-message, packed repeated field).
    public mutating func lengthDelimited() throws(WireDecodingError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else {
            throw WireDecodingError("length \(length) at byte \(offset) runs past the end (\(bytes.count) bytes)")
        }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    /// A length-delimited value as UTF-8 text without NUL bytes.
    ///
    /// NOTE: NUL is refused because the other side of the wire cannot carry it: protobuf-c (the message decoders
    /// and `FrameEncoder`) reads and writes strings as C strings, so "a\0b" would reach it as "a".
    public mutating func string(_ field: StaticString) throws(WireDecodingError) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[try lengthDelimited()])
        guard !raw.contains(0) else { throw WireDecodingError("\(field): string contains a NUL byte") }
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw WireDecodingError("\(field): string is not valid UTF-8")
        }
        return s
    }

    /// A length-delimited value copied out.
    public mutating func byteArray() throws(WireDecodingError) -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(rebasing: bytes[try lengthDelimited()]))
    }

    /// Skips the value of a field of `type`.
    public mutating func skip(_ type: WireType) throws(WireDecodingError) {
        switch type {
        case .varint: _ = try varint()
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed64, .fixed32:
            let width = type == .fixed64 ? 8 : 4
            guard bytes.count - offset >= width else { throw WireDecodingError("truncated fixed field at byte \(offset)") }
            offset += width
        }
    }

    /// The values of a repeated int32 field, packed (one length-delimited run) or not (one varint); appended to
    /// `values`. int32 values travel as 64-bit two's complement varints.
    public mutating func appendInt32s(_ type: WireType, to values: inout [Int32]) throws(WireDecodingError) {
        switch type {
        case .varint:
            values.append(Int32(truncatingIfNeeded: try varint()))
        case .lengthDelimited:
            let range = try lengthDelimited()
            let end = range.upperBound
            offset = range.lowerBound
            while offset < end {
                values.append(Int32(truncatingIfNeeded: try varint()))
            }
            guard offset == end else { throw WireDecodingError("packed varints run past their length") }
        default:
            throw WireDecodingError("repeated int32 field with wire type \(type.rawValue)")
        }
    }
}
