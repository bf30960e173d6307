import Foundation

/// Writes GGUF bytes for tests: valid files, and broken ones by editing the result.
struct GGUFBuilder {
    enum Value {
        case u8(UInt8), i32(Int32), u32(UInt32), u64(UInt64), f32(Float), f64(Double), bool(Bool), string(String)
        case strings([String]), i32s([Int32]), f32s([Float]), nested([[Int32]])
    }

    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var type: UInt32
        var data: [UInt8]
    }

    var version: UInt32 = 3
    var alignment = 32
    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []

    func build() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        append(version, to: &out)
        append(UInt64(tensors.count), to: &out)
        append(UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            appendString(key, to: &out)
            appendValue(value, to: &out)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset = (offset + t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, tensorOffset) in zip(tensors, offsets) {
            appendString(t.name, to: &out)
            append(UInt32(t.dimensions.count), to: &out)
            for d in t.dimensions { append(d, to: &out) }
            append(t.type, to: &out)
            append(UInt64(tensorOffset), to: &out)
        }
        pad(&out)
        let dataStart = out.count
        for (t, tensorOffset) in zip(tensors, offsets) {
            out += [UInt8](repeating: 0, count: dataStart + tensorOffset - out.count)
            out += t.data
        }
        return out
    }

    private func pad(_ out: inout [UInt8]) {
        while out.count % alignment != 0 { out.append(0) }
    }

    private func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    private func appendString(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out += Array(s.utf8)
    }

    private func appendValue(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .u8(let v): append(UInt32(0), to: &out); append(v, to: &out)
        case .u32(let v): append(UInt32(4), to: &out); append(v, to: &out)
        case .i32(let v): append(UInt32(5), to: &out); append(v, to: &out)
        case .f32(let v): append(UInt32(6), to: &out); append(v.bitPattern, to: &out)
        case .bool(let v): append(UInt32(7), to: &out); append(UInt8(v ? 1 : 0), to: &out)
        case .string(let v): append(UInt32(8), to: &out); appendString(v, to: &out)
        case .u64(let v): append(UInt32(10), to: &out); append(v, to: &out)
        case .f64(let v): append(UInt32(12), to: &out); append(v.bitPattern, to: &out)
        case .strings(let list):
            append(UInt32(9), to: &out); append(UInt32(8), to: &out); append(UInt64(list.count), to: &out)
            for s in list { appendString(s, to: &out) }
        case .i32s(let list):
            append(UInt32(9), to: &out); append(UInt32(5), to: &out); append(UInt64(list.count), to: &out)
            for v in list { append(v, to: &out) }
        case .f32s(let list):
            append(UInt32(9), to: &out); append(UInt32(6), to: &out); append(UInt64(list.count), to: &out)
            for v in list { append(v.bitPattern, to: &out) }
        case .nested(let lists):
            append(UInt32(9), to: &out); append(UInt32(9), to: &out); append(UInt64(lists.count), to: &out)
            for list in lists {
                append(UInt32(5), to: &out); append(UInt64(list.count), to: &out)
                for v in list { append(v, to: &out) }
            }
        }
    }
}

/// A file in a fresh temporary directory, removed by `cleanup`.
struct TemporaryFile {
    let path: String

    init(_ bytes: [UInt8], name: String = "model.gguf") {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apus-gguf-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent(name).path
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
}
