/// `json.dumps(value, ensure_ascii=False, indent=..., separators=..., sort_keys=...)`, which transformers installs
/// as the `tojson` filter.
struct PythonJSONEncoder {
    /// The indent unit (nil: single line).
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys: Bool

    init(indent: String?, separators: (String, String)?, sortKeys: Bool) {
        self.indent = indent
        self.itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
    }

    func encode(_ value: TemplateValue) throws -> String {
        var output = ""
        try write(value, level: 0, into: &output)
        return output
    }

    private func write(_ value: TemplateValue, level: Int, into output: inout String) throws {
        switch value {
        case .none: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .int(let number): output += String(number)
        case .double(let number):
            if number.isNaN {
                output += "NaN"
            } else if number.isInfinite {
                output += number < 0 ? "-Infinity" : "Infinity"
            } else {
                output += PythonFormat.float(number)
            }
        case .string(let text): output += PythonFormat.jsonString(text)
        case .list(let items), .tuple(let items):
            try writeContainer("[", "]", items.count, level: level, into: &output) { index, output in
                try write(items[index], level: level + 1, into: &output)
            }
        case .dict(let dict):
            var pairs = dict.pairs
            if sortKeys {
                pairs.sort {
                    Array($0.key.unicodeScalars).lexicographicallyPrecedes(
                        Array($1.key.unicodeScalars), by: { $0.value < $1.value })
                }
            }
            try writeContainer("{", "}", pairs.count, level: level, into: &output) { index, output in
                output += PythonFormat.jsonString(pairs[index].key) + keySeparator
                try write(pairs[index].value, level: level + 1, into: &output)
            }
        case .undefined, .namespace, .function, .iterator, .loop:
            throw ChatTemplateError(.runtime, "Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private func writeContainer(
        _ open: String, _ close: String, _ count: Int, level: Int, into output: inout String,
        element: (Int, inout String) throws -> Void
    ) throws {
        output += open
        guard count > 0 else {
            output += close
            return
        }
        let inner = indent.map { "\n" + String(repeating: $0, count: level + 1) }
        let separator = itemSeparator + (inner ?? "")
        output += inner ?? ""
        for index in 0..<count {
            if index > 0 { output += separator }
            try element(index, &output)
        }
        if let indent { output += "\n" + String(repeating: indent, count: level) }
        output += close
    }
}
