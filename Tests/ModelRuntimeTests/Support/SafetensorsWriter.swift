import Foundation

/// Writes small safetensors files for tests, optionally with a hand-edited header.
enum SafetensorsWriter {
    struct Item {
        var name: String
        var shape: [Int]
        var values: [Float]
        /// F32, F16 or BF16 (BF16 truncates the f32 bits).
        var dtype = "F32"
    }

    /// Writes F32 tensors; `editHeader` may rewrite the header dictionary before it is serialised.
    static func write(_ items: [Item], to url: URL, editHeader: (inout [String: Any]) -> Void = { _ in }) throws {
        var header: [String: Any] = [:]
        var data = Data()
        for item in items {
            let begin = data.count
            switch item.dtype {
            case "F16":
                for v in item.values {
                    withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { data.append(contentsOf: $0) }
                }
            case "BF16":
                for v in item.values {
                    withUnsafeBytes(of: UInt16(v.bitPattern >> 16).littleEndian) { data.append(contentsOf: $0) }
                }
            default:
                item.values.withUnsafeBytes { data.append(contentsOf: $0) }
            }
            header[item.name] = ["dtype": item.dtype, "shape": item.shape, "data_offsets": [begin, data.count]]
        }
        editHeader(&header)
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        try out.write(to: url)
    }
}
