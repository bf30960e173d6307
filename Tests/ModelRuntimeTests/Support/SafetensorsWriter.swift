import Foundation

/// Writes small safetensors files for tests, optionally with a hand-edited header.
enum SafetensorsWriter {
    struct Item {
        var name: String
        var shape: [Int]
        var values: [Float]
    }

    /// Writes F32 tensors; `editHeader` may rewrite the header dictionary before it is serialised.
    static func write(_ items: [Item], to url: URL, editHeader: (inout [String: Any]) -> Void = { _ in }) throws {
        var header: [String: Any] = [:]
        var data = Data()
        for item in items {
            let begin = data.count
            item.values.withUnsafeBytes { data.append(contentsOf: $0) }
            header[item.name] = ["dtype": "F32", "shape": item.shape, "data_offsets": [begin, data.count]]
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
