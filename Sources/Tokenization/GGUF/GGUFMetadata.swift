import ModelFiles

/// Typed reads of GGUF metadata for the tokenizer: a missing optional key is nil, a key of the wrong type or out of
/// range is a `TokenizerError.invalidGGUF` naming it.
struct GGUFMetadata {
    let values: [String: GGUFValue]

    func string(_ key: String) throws -> String? {
        guard let value = values[key] else { return nil }
        guard case .string(let s) = value else { throw TokenizerError.invalidGGUF(key: key, reason: "not a string") }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = values[key] else { return nil }
        guard case .bool(let b) = value else { throw TokenizerError.invalidGGUF(key: key, reason: "not a bool") }
        return b
    }

    /// A token id: an integer in `0..<vocabSize`.
    func tokenID(_ key: String, vocabSize: Int) throws -> Int? {
        guard let value = values[key] else { return nil }
        guard let id = value.intValue else { throw TokenizerError.invalidGGUF(key: key, reason: "not an integer") }
        guard id >= 0 && id < vocabSize else {
            throw TokenizerError.invalidGGUF(key: key, reason: "id \(id) is outside the vocabulary (0..<\(vocabSize))")
        }
        return id
    }

    func strings(_ key: String) throws -> [String]? {
        try array(key, of: "strings") { if case .string(let s) = $0 { s } else { nil } }
    }

    func ints(_ key: String) throws -> [Int]? {
        try array(key, of: "integers") { $0.intValue }
    }

    /// f32 scores (llama.cpp also accepts i32).
    func floats(_ key: String) throws -> [Float]? {
        try array(key, of: "numbers") { $0.doubleValue.map { Float($0) } }
    }

    /// An array of `count` elements at least (llama.cpp ignores a longer tail).
    func checkCount<T>(_ array: [T]?, _ key: String, atLeast count: Int) throws {
        guard let array, array.count < count else { return }
        throw TokenizerError.invalidGGUF(key: key, reason: "\(array.count) entries for \(count) tokens")
    }

    private func array<T>(_ key: String, of kind: String, _ element: (GGUFValue) -> T?) throws -> [T]? {
        guard let value = values[key] else { return nil }
        guard case .array(let items) = value else {
            throw TokenizerError.invalidGGUF(key: key, reason: "not an array")
        }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let converted = element(item) else {
                throw TokenizerError.invalidGGUF(key: key, reason: "entry \(index) is \(item), not an array of \(kind)")
            }
            out.append(converted)
        }
        return out
    }
}
