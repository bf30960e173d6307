import CApusProto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Copies of Swift values in the arena's C memory, shaped the way protobuf-c's generated structs point at them.
///
/// Scalars arrays are one `memcpy`; an empty array becomes NULL (protobuf-c reads `n_x == 0` and never the
/// pointer). Strings are NUL-terminated copies: a string with an embedded NUL is cut at the NUL, because
/// protobuf-c measures strings with `strlen`.
extension CArena {
    /// A sub-message: initialised with its descriptor's defaults, then filled from `value`.
    func message<M: CMessageConvertible>(_ value: M) -> UnsafeMutablePointer<M.CType> {
        let p = allocate(M.CType.self, count: 1)
        protobuf_c_message_init(M.descriptor, p)
        value.fill(&p.pointee, in: self)
        return p
    }

    /// A repeated message field: the structs in one block, plus the pointer array protobuf-c walks.
    func messages<M: CMessageConvertible>(_ values: [M]) -> UnsafeMutablePointer<UnsafeMutablePointer<M.CType>?>? {
        messages(count: values.count, descriptor: M.descriptor) { (c: inout M.CType, i) in
            values[i].fill(&c, in: self)
        }
    }

    /// A repeated message field built by `fill(&struct, index)` for each index, for messages whose Swift side
    /// is not a struct of its own (e.g. `[[TokenID]]` as repeated TokenIDList).
    func messages<C>(
        count: Int, descriptor: UnsafePointer<ProtobufCMessageDescriptor>, fill: (inout C, Int) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<C>?>? {
        guard count > 0 else { return nil }
        let structs = allocate(C.self, count: count)
        let pointers = allocate(UnsafeMutablePointer<C>?.self, count: count)
        for i in 0..<count {
            let p = structs + i
            protobuf_c_message_init(descriptor, p)
            fill(&p.pointee, i)
            pointers[i] = p
        }
        return pointers
    }

    /// A repeated scalar field (int32, uint32, float): one memcpy.
    func copy<T: BitwiseCopyable>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let p = allocate(T.self, count: values.count)
        values.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(p).copyMemory(
                from: source.baseAddress!, byteCount: MemoryLayout<T>.stride * source.count)
        }
        return p
    }

    /// A NUL-terminated copy of `string`'s UTF-8.
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let p = allocate(CChar.self, count: utf8.count + 1)
            if let base = utf8.baseAddress {
                UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: utf8.count)
            }
            p[utf8.count] = 0
            return p
        }
    }

    /// A repeated string field.
    func cStrings(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !strings.isEmpty else { return nil }
        let pointers = allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count)
        for i in strings.indices { pointers[i] = cString(strings[i]) }
        return pointers
    }

    /// A bytes field holding `values` packed little-endian, one memcpy (every supported target is little-endian, so
    /// the values' memory is already the wire layout).
    func packed<T: BitwiseCopyable>(_ values: [T]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(
            len: values.count * MemoryLayout<T>.stride,
            data: copy(values).map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt8.self) })
    }

    /// A bytes field.
    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: copy(bytes))
    }

    /// A repeated bytes field.
    func binaries(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData>? {
        guard !values.isEmpty else { return nil }
        let p = allocate(ProtobufCBinaryData.self, count: values.count)
        for i in values.indices { (p + i).initialize(to: binary(values[i])) }
        return p
    }
}

/// protobuf-c's `protobuf_c_boolean` is a C `int`.
@inline(__always)
func cBool(_ value: Bool) -> protobuf_c_boolean { value ? 1 : 0 }

/// Clamps a Swift `Int` into a uint32 field (counts are never negative or above 2³²−1 in a valid message).
@inline(__always)
func cUInt32(_ value: Int) -> UInt32 { UInt32(clamping: value) }

/// Clamps a Swift `Int` into an int32 field.
@inline(__always)
func cInt32(_ value: Int) -> Int32 { Int32(clamping: value) }
