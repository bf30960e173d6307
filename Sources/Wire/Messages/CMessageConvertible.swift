import CApusProto

/// The per-message half of the C conversion: every Swift message type fills its generated protobuf-c struct
/// and reads itself back from one. `WireMessage`'s C-facing requirements come for free from these two.
///
/// `fill` writes into a struct already initialised with the descriptor's defaults, allocating everything it
/// points at in `arena`. `init(c:)` copies out of a struct that libprotobuf-c unpacked (or that `fill` built)
/// and validates what protobuf-c does not: UTF-8 in strings and NULL pointers beside non-zero counts.
protocol CMessageConvertible: WireMessage {
    associatedtype CType
    func fill(_ c: inout CType, in arena: CArena)
    init(c: CType) throws(WireDecodingError)
}

extension CMessageConvertible {
    public func cMessage(in arena: CArena) -> UnsafeMutablePointer<ProtobufCMessage> {
        UnsafeMutableRawPointer(arena.message(self)).assumingMemoryBound(to: ProtobufCMessage.self)
    }

    public init(cMessage: UnsafePointer<ProtobufCMessage>) throws(WireDecodingError) {
        guard cMessage.pointee.descriptor == Self.descriptor else {
            throw WireDecodingError(
                "expected a \(descriptorName(Self.descriptor)) message, got "
                    + (cMessage.pointee.descriptor.map { descriptorName($0) } ?? "no descriptor"))
        }
        try self.init(c: UnsafeRawPointer(cMessage).assumingMemoryBound(to: CType.self).pointee)
    }
}

/// The descriptor of a generated C type, read from a struct its `…__init` function initialised (the
/// descriptor globals are `extern const`, whose address Swift cannot take).
func protobufDescriptor<T>(_ cInit: (UnsafeMutablePointer<T>?) -> Void) -> UnsafePointer<ProtobufCMessageDescriptor> {
    let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
    defer { p.deallocate() }
    cInit(p)
    return UnsafeRawPointer(p).load(as: ProtobufCMessage.self).descriptor
}

/// The full proto name, e.g. "apus.v1.GenerateRequest".
@usableFromInline
func descriptorName(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> String {
    descriptor.pointee.name.map { String(cString: $0) } ?? "?"
}
