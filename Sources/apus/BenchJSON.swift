import Foundation

/// One JSON object from string values (sorted keys), for benchmarks that only produce text lines.
func jsonObject(_ fields: [String: String]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}
