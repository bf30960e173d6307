/// Why a tokenizer could not be loaded.
///
/// Thrown by `Tokenizer.init(tokenizerJSON:config:)`, `Tokenizer.init(gguf:)`, `TokenizerConfig(json:)` and
/// `GenerationConfig(json:)`; the message names the offending field or the unsupported component so the user knows
/// what to fix.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not valid JSON or a required field is missing or has the wrong type.
    case invalidJSON(String)
    /// The tokenizer uses a component (model, normalizer, pre-tokenizer, decoder, …) this module does not implement.
    case unsupported(String)
    /// A file could not be read.
    case unreadable(path: String, reason: String)
    /// A GGUF file's tokenizer metadata is missing a key, has it with the wrong type, or names ids or tokens that
    /// do not exist.
    case invalidGGUF(key: String, reason: String)

    public var description: String {
        switch self {
        case .invalidJSON(let message): return "invalid tokenizer JSON: \(message)"
        case .unsupported(let message): return "unsupported tokenizer feature: \(message)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .invalidGGUF(let key, let reason): return "invalid GGUF tokenizer metadata \(key): \(reason)"
        }
    }
}
