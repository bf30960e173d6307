import Foundation
import ModelFiles

/// A memory-mapped `.safetensors` file whose header has been validated up front.
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON (`name → {dtype, shape, data_offsets}`),
/// then the data region; offsets are relative to the data region. Every entry is checked at open time
/// (known dtype, `end − begin = Π shape × dtype size`, inside the file), so a truncated or corrupt file
/// fails before any weight is read, with the file and tensor named.
public final class SafetensorsFile: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        public var begin: Int
        public var end: Int
    }

    /// Bytes per element of every dtype the format defines; only F32, F16 and BF16 can be converted.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    public let path: String
    public let entries: [String: Entry]
    private let file: MappedFile
    private let dataStart: Int

    public init(path: String) throws(ModelLoadError) {
        self.path = path
        do {
            file = try MappedFile(path: path)
        } catch {
            guard case .io(_, let reason) = error else { throw .file(error) }
            throw .io(path: path, reason: reason)
        }
        let size = file.count
        guard size >= 8 else {
            throw .badHeader(file: path, reason: "file is \(size) bytes, shorter than the 8-byte length")
        }
        // NOTE: compared as UInt64 before converting: a length of 2⁶³ or more does not fit in an Int.
        let rawLength = UInt64(littleEndian: file.base.loadUnaligned(as: UInt64.self))
        guard rawLength > 0, rawLength <= UInt64(size - 8) else {
            throw .badHeader(file: path, reason: "header length \(rawLength) does not fit in a file of \(size) bytes")
        }
        let headerLength = Int(rawLength)
        entries = try Self.parseHeader(Data(bytes: file.base + 8, count: headerLength), file: path,
                                       dataSize: size - 8 - headerLength)
        dataStart = 8 + headerLength
    }

    static func parseHeader(_ json: Data, file: String, dataSize: Int) throws(ModelLoadError) -> [String: Entry] {
        guard let object = try? JSONSerialization.jsonObject(with: json), let dict = object as? [String: Any] else {
            throw .badHeader(file: file, reason: "header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in dict where name != "__metadata__" {
            func bad(_ why: String) -> ModelLoadError { .badTensor(file: file, tensor: name, reason: why) }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                offsets.count == 2, shape.count == (info["shape"] as? [Any])?.count
            else { throw bad("entry needs dtype, shape and two data_offsets") }
            guard let elementSize = dtypeSizes[dtype] else { throw bad("unknown dtype '\(dtype)'") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("negative dimension in shape \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end else { throw bad("data_offsets [\(begin), \(end)] are not ordered") }
            guard end <= dataSize else {
                throw bad("data_offsets end \(end) is past the end of the data (\(dataSize) bytes; file truncated?)")
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d)
                return (r.partialValue, acc.1 || r.overflow)
            }
            guard !overflow, elements * elementSize == end - begin else {
                throw bad(
                    "shape \(shape) of \(dtype) needs \(elements * elementSize) bytes, data_offsets give \(end - begin)"
                )
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        return entries
    }

    /// The bytes of entry `e` in the mapping (valid while the file is alive).
    func bytes(of e: Entry) -> UnsafeRawPointer { file.base + dataStart + e.begin }

    /// Converts tensor `name` to f32 into `out` (which holds its element count). F32, F16 and BF16 only.
    public func read(_ name: String, into out: UnsafeMutablePointer<Float>) throws(ModelLoadError) {
        guard let e = entries[name] else { throw .missingTensor(tensor: name, directory: path) }
        let src = file.base + dataStart + e.begin
        let n = e.shape.reduce(1, *)
        switch e.dtype {
        case "F32":
            UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: n * 4)
        case "F16":
            for i in 0..<n {
                out[i] = Float(
                    Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                )
            }
        case "BF16":
            for i in 0..<n {
                let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        default:
            throw .badTensor(
                file: path, tensor: name, reason: "dtype \(e.dtype) cannot be loaded; expected F32, F16 or BF16")
        }
    }
}
