/// A bounds-checked little-endian cursor over a GGUF file's header.
struct GGUFReader {
    let file: MappedFile
    private(set) var position = 0

    init(file: MappedFile) { self.file = file }

    private var remaining: Int { file.count - position }

    private func truncated(_ field: String) -> ModelFileError {
        .malformed(path: file.path, field: field, reason: "the file ends at byte \(file.count) (truncated)")
    }

    private mutating func load<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(ModelFileError) -> T {
        guard remaining >= MemoryLayout<T>.size else { throw truncated(field) }
        let v = file.base.loadUnaligned(fromByteOffset: position, as: T.self)
        position += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func u32(_ field: String) throws(ModelFileError) -> UInt32 { try load(UInt32.self, field) }
    mutating func u64(_ field: String) throws(ModelFileError) -> UInt64 { try load(UInt64.self, field) }

    /// A u64 count of items that each take at least `minimumBytesEach` bytes: more than the rest of the file could
    /// hold is malformed (so a corrupt count never drives a huge allocation).
    mutating func count(_ field: String, minimumBytesEach: Int) throws(ModelFileError) -> Int {
        let n = try u64(field)
        guard n <= UInt64(remaining / max(1, minimumBytesEach)) else {
            throw .malformed(
                path: file.path, field: field, reason: "\(n) items cannot fit in the \(remaining) bytes left")
        }
        return Int(n)
    }

    mutating func string(_ field: String) throws(ModelFileError) -> String {
        let length = try u64(field + " length")
        guard length <= UInt64(remaining) else {
            throw .malformed(path: file.path, field: field, reason: "a string of \(length) bytes runs past the end")
        }
        let bytes = UnsafeRawBufferPointer(start: file.base + position, count: Int(length))
        position += Int(length)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One typed value (the type code first).
    mutating func value(field: String) throws(ModelFileError) -> GGUFValue {
        let code = try u32(field + " type")
        guard let type = GGUFValueType(rawValue: code) else {
            throw .malformed(path: file.path, field: field, reason: "unknown value type \(code)")
        }
        return try value(of: type, field: field)
    }

    private mutating func value(of type: GGUFValueType, field: String) throws(ModelFileError) -> GGUFValue {
        switch type {
        case .uint8: return .uint(UInt64(try load(UInt8.self, field)))
        case .int8: return .int(Int64(try load(Int8.self, field)))
        case .uint16: return .uint(UInt64(try load(UInt16.self, field)))
        case .int16: return .int(Int64(try load(Int16.self, field)))
        case .uint32: return .uint(UInt64(try load(UInt32.self, field)))
        case .int32: return .int(Int64(try load(Int32.self, field)))
        case .uint64: return .uint(try load(UInt64.self, field))
        case .int64: return .int(try load(Int64.self, field))
        case .float32: return .float(Double(Float(bitPattern: try load(UInt32.self, field))))
        case .float64: return .float(Double(bitPattern: try load(UInt64.self, field)))
        case .bool:
            let b = try load(UInt8.self, field)
            guard b <= 1 else { throw .malformed(path: file.path, field: field, reason: "bool byte \(b)") }
            return .bool(b == 1)
        case .string: return .string(try string(field))
        case .array:
            let code = try u32(field + " element type")
            guard let element = GGUFValueType(rawValue: code) else {
                throw .malformed(path: file.path, field: field, reason: "unknown array element type \(code)")
            }
            // A string takes at least its 8-byte length, a nested array its 12-byte header.
            let minimum = element.fixedSize ?? (element == .string ? 8 : 12)
            let n = try count(field + " element count", minimumBytesEach: minimum)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(of: element, field: field)) }
            return .array(items)
        }
    }
}
