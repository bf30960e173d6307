import CApusProto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Copies out of protobuf-c structs into Swift values, checking what libprotobuf-c does not.
///
/// protobuf-c 1.4 accepts invalid UTF-8 in `string` fields, so every string is validated here and a bad one
/// throws `WireDecodingError` naming the field. A NULL pointer beside a non-zero count (possible only in a
/// hand-built struct) throws too. Scalar arrays are one memcpy.
enum CDecode {
    static func string(_ p: UnsafePointer<CChar>?, _ field: StaticString) throws(WireDecodingError) -> String {
        guard let p, p.pointee != 0 else { return "" }
        guard let s = String(validatingCString: p) else {
            throw WireDecodingError("\(field): string is not valid UTF-8")
        }
        return s
    }

    static func array<T: BitwiseCopyable>(
        _ p: UnsafePointer<T>?, _ count: Int, _ field: StaticString
    ) throws(WireDecodingError) -> [T] {
        guard count > 0 else { return [] }
        guard let p else { throw WireDecodingError("\(field): \(count) elements but no data") }
        return Array(UnsafeBufferPointer(start: p, count: count))
    }

    /// A repeated scalar field whose `has_x` flag says whether it is set: nil unless the flag is set or the list is
    /// non-empty (a careless C client may send a list without the flag).
    static func optionalArray<T: BitwiseCopyable>(
        _ p: UnsafePointer<T>?, _ count: Int, _ field: StaticString, present: Bool
    ) throws(WireDecodingError) -> [T]? {
        guard present || count > 0 else { return nil }
        return try array(p, count, field)
    }

    /// A bytes field holding packed little-endian values of `T` (see `CArena.packed`).
    static func packed<T: BitwiseCopyable>(
        _ b: ProtobufCBinaryData, _ field: StaticString, as type: T.Type = T.self
    ) throws(WireDecodingError) -> [T] {
        let size = MemoryLayout<T>.stride
        guard b.len % size == 0 else {
            throw WireDecodingError("\(field): \(b.len) bytes is not a whole number of \(T.self) values")
        }
        let count = b.len / size
        guard count > 0 else { return [] }
        guard let data = b.data else { throw WireDecodingError("\(field): \(b.len) bytes but no data") }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: data, count: b.len))
            initialized = count
        }
    }

    static func strings(
        _ p: UnsafePointer<UnsafeMutablePointer<CChar>?>?, _ count: Int, _ field: StaticString
    ) throws(WireDecodingError) -> [String] {
        guard count > 0 else { return [] }
        guard let p else { throw WireDecodingError("\(field): \(count) elements but no data") }
        var result: [String] = []
        result.reserveCapacity(count)
        for i in 0..<count { result.append(try string(p[i], field)) }
        return result
    }

    static func bytes(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let data = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: b.len))
    }

    static func bytesList(
        _ p: UnsafePointer<ProtobufCBinaryData>?, _ count: Int, _ field: StaticString
    ) throws(WireDecodingError) -> [[UInt8]] {
        guard count > 0 else { return [] }
        guard let p else { throw WireDecodingError("\(field): \(count) elements but no data") }
        return (0..<count).map { bytes(p[$0]) }
    }

    /// An optional sub-message: nil when absent.
    static func message<M: CMessageConvertible>(
        _ p: UnsafePointer<M.CType>?, as type: M.Type = M.self
    ) throws(WireDecodingError) -> M? {
        guard let p else { return nil }
        return try M(c: p.pointee)
    }

    static func messages<M: CMessageConvertible>(
        _ p: UnsafePointer<UnsafeMutablePointer<M.CType>?>?, _ count: Int, _ field: StaticString,
        as type: M.Type = M.self
    ) throws(WireDecodingError) -> [M] {
        try each(p, count, field) { (c) throws(WireDecodingError) in try M(c: c) }
    }

    /// Maps each struct of a repeated message field.
    static func each<C, T>(
        _ p: UnsafePointer<UnsafeMutablePointer<C>?>?, _ count: Int, _ field: StaticString,
        _ transform: (C) throws(WireDecodingError) -> T
    ) throws(WireDecodingError) -> [T] {
        guard count > 0 else { return [] }
        guard let p else { throw WireDecodingError("\(field): \(count) elements but no data") }
        var result: [T] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            guard let element = p[i] else { throw WireDecodingError("\(field)[\(i)] is NULL") }
            result.append(try transform(element.pointee))
        }
        return result
    }
}

/// Swift mirrors of proto3 enums: every raw value decodes, and values this build does not know are kept as
/// `unrecognized(_)` so a newer peer's enum never crashes an older one and re-encodes unchanged.
///
/// `init(rawValue:)` never yields `unrecognized` for a known value; build values with the named cases (a hand-made
/// `.unrecognized(1)` encodes like `.serving` but does not compare equal to it).
public protocol WireEnum: RawRepresentable, Sendable, Hashable where RawValue == Int32 {
    init(rawValue: Int32)
}

extension WireEnum {
    /// The value as the generated C enum (protobuf-c imports them as `UInt32`-backed structs).
    @inline(__always)
    func cEnum<E: RawRepresentable>(_ type: E.Type = E.self) -> E where E.RawValue == UInt32 {
        E(rawValue: UInt32(bitPattern: rawValue))!
    }

    @inline(__always)
    init<E: RawRepresentable>(cEnum: E) where E.RawValue == UInt32 {
        self.init(rawValue: Int32(bitPattern: cEnum.rawValue))
    }
}
