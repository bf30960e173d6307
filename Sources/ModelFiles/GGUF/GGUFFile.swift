/// A GGUF file (llama.cpp's model format, versions 2 and 3), memory-mapped: header, metadata and tensor infos are
/// parsed and checked on open; tensor bytes are used in place.
///
/// Layout: magic `GGUF`, version, tensor count, metadata count (u64 each in v2+), the metadata key/values, the
/// tensor infos (name, dimensions, type, offset), then the tensor data from the first multiple of
/// `general.alignment` (default 32). Every count, length and offset is checked against the file's size before it
/// is used, so a truncated or corrupt file gives a `ModelFileError` naming the file and the field — never a crash
/// or a read outside the mapping.
public final class GGUFFile: Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// Tensors whose type Apus does not implement: name → ggml type code (they fail when loaded, not on open).
    public let unsupportedTensorTypes: [String: UInt32]
    public let alignment: Int
    /// Where tensor data starts.
    public let dataOffset: Int
    public let file: MappedFile
    private let tensorIndex: [String: Int]

    /// The magic, `GGUF` read as a little-endian u32.
    static let magic: UInt32 = 0x4655_4747
    /// ggml's GGML_MAX_DIMS.
    static let maxDimensions = 4

    public init(path: String) throws(ModelFileError) {
        let file = try MappedFile(path: path)
        var reader = GGUFReader(file: file)
        let magic = try reader.u32("magic")
        guard magic == Self.magic else {
            throw .malformed(path: path, field: "magic", reason: "not a GGUF file (the first four bytes are not 'GGUF')")
        }
        let version = try reader.u32("version")
        guard version == 2 || version == 3 else {
            let why =
                version == 1 ? "version 1 (pre-2023 files; convert them again)"
                : version.byteSwapped <= 3 ? "big-endian file" : "version \(version)"
            throw .unsupported(path: path, field: "version", reason: why)
        }
        let tensorCount = try reader.count("tensor count", minimumBytesEach: 24)
        let metadataCount = try reader.count("metadata count", minimumBytesEach: 12)

        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(metadataCount)
        for index in 0..<metadataCount {
            let key = try reader.string("metadata key \(index)")
            let value = try reader.value(field: key)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw .malformed(path: path, field: key, reason: "the key appears twice")
            }
        }
        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0 else {
                throw .malformed(path: path, field: "general.alignment", reason: "must be a power of two, got \(value)")
            }
            alignment = a
        }

        struct Pending {
            var name: String
            var dimensions: [Int]
            var typeCode: UInt32
            var offset: Int
        }
        var pending: [Pending] = []
        pending.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.string("tensor \(index) name")
            let rank = Int(try reader.u32("tensor \(name) dimension count"))
            guard (1...Self.maxDimensions).contains(rank) else {
                throw .malformed(path: path, field: "tensor \(name)", reason: "\(rank) dimensions (1 to 4 allowed)")
            }
            var dimensions: [Int] = []
            var elements = 1
            for d in 0..<rank {
                let n = try reader.u64("tensor \(name) dimension \(d)")
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(clamping: n))
                guard n > 0, n <= UInt64(Int32.max), !overflow else {
                    throw .malformed(path: path, field: "tensor \(name)", reason: "dimension \(d) is \(n)")
                }
                dimensions.append(Int(n))
                elements = product
            }
            let typeCode = try reader.u32("tensor \(name) type")
            let offset = try reader.u64("tensor \(name) offset")
            guard offset <= UInt64(file.count) else {
                throw .malformed(path: path, field: "tensor \(name) offset", reason: "\(offset) is past the end")
            }
            pending.append(Pending(name: name, dimensions: dimensions, typeCode: typeCode, offset: Int(offset)))
        }
        let dataOffset = (reader.position + alignment - 1) / alignment * alignment
        guard dataOffset <= file.count || tensorCount == 0 else {
            throw .malformed(path: path, field: "tensor data", reason: "the file ends before its tensor data")
        }

        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        var unsupported: [String: UInt32] = [:]
        for p in pending {
            guard index[p.name] == nil, unsupported[p.name] == nil else {
                throw .malformed(path: path, field: "tensor \(p.name)", reason: "the name appears twice")
            }
            guard p.offset % alignment == 0 else {
                throw .malformed(
                    path: path, field: "tensor \(p.name) offset", reason: "\(p.offset) is not a multiple of \(alignment)")
            }
            guard let type = GGMLType(rawValue: p.typeCode) else {
                unsupported[p.name] = p.typeCode
                continue
            }
            guard let rowBytes = type.rowBytes(count: p.dimensions[0]) else {
                throw .malformed(
                    path: path, field: "tensor \(p.name)",
                    reason: "row of \(p.dimensions[0]) is not a whole number of \(type) blocks of \(type.blockSize)")
            }
            let rows = p.dimensions.dropFirst().reduce(1, *)
            let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
            let start = dataOffset + p.offset
            guard !overflow, start <= file.count, bytes <= file.count - start else {
                throw .malformed(
                    path: path, field: "tensor \(p.name)",
                    reason: "its \(type) data (\(bytes) bytes at \(start)) runs past the end of the file (\(file.count) bytes)")
            }
            index[p.name] = infos.count
            infos.append(GGUFTensorInfo(name: p.name, dimensions: p.dimensions, type: type, range: start..<start + bytes))
        }

        self.path = path
        self.version = version
        self.metadata = metadata
        self.tensorInfos = infos
        self.unsupportedTensorTypes = unsupported
        self.alignment = alignment
        self.dataOffset = dataOffset
        self.file = file
        self.tensorIndex = index
    }

    // MARK: Tensors

    /// The info of tensor `name`; throws naming the tensor when it is missing or of a type Apus lacks.
    public func tensor(_ name: String) throws(ModelFileError) -> GGUFTensorInfo {
        if let i = tensorIndex[name] { return tensorInfos[i] }
        if let code = unsupportedTensorTypes[name] {
            throw .unsupported(path: path, field: "tensor \(name)", reason: "ggml type \(code)")
        }
        throw .malformed(path: path, field: "tensor \(name)", reason: "missing")
    }

    public func contains(_ name: String) -> Bool { tensorIndex[name] != nil || unsupportedTensorTypes[name] != nil }

    /// The bytes of a tensor, in the mapping.
    public func bytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer { file.bytes(info.range) }

    // MARK: Metadata

    public func string(_ key: String) -> String? {
        if case .string(let s)? = metadata[key] { return s }
        return nil
    }

    /// Any integer type.
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }

    /// f32 / f64, and integers.
    public func float(_ key: String) -> Double? { metadata[key]?.doubleValue }

    public func bool(_ key: String) -> Bool? {
        if case .bool(let b)? = metadata[key] { return b }
        return nil
    }

    /// An array whose elements are all strings.
    public func strings(_ key: String) -> [String]? {
        guard case .array(let items)? = metadata[key] else { return nil }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s) = item else { return nil }
            out.append(s)
        }
        return out
    }

    /// An array whose elements are all integers.
    public func ints(_ key: String) -> [Int]? {
        guard case .array(let items)? = metadata[key] else { return nil }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = item.intValue else { return nil }
            out.append(v)
        }
        return out
    }

    /// An array whose elements are all numbers, as f32.
    public func floats(_ key: String) -> [Float]? {
        guard case .array(let items)? = metadata[key] else { return nil }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = item.doubleValue else { return nil }
            out.append(Float(v))
        }
        return out
    }
}
