/// A step the runner refused; the runner's state is unchanged and it stays usable.
public enum RunnerError: Error, Sendable, Equatable, CustomStringConvertible {
    case kvCacheNotInitialized
    case unknownRequest(String)
    case blockOutOfRange(reqID: String, blockID: Int, numBlocks: Int)
    case exceedsMaxModelLen(reqID: String, tokens: Int, maxModelLen: Int)
    case invalidRequest(reqID: String, reason: String)
    /// A pipeline stage got hidden states that do not match the step (or none, or some it cannot use).
    case badIntermediate(String)
    /// The step's grammar bitmask does not fit its requests or the vocabulary.
    case badGrammarBitmask(String)
    /// The LoRA adapter a scheduled request names could not be loaded from its path.
    case loraLoad(reqID: String, name: String, path: String, error: LoRALoadError)

    public var description: String {
        switch self {
        case .kvCacheNotInitialized: "the KV cache is not initialized (call InitializeCache first)"
        case .unknownRequest(let id): "unknown request id '\(id)' (not sent as a new request, or already finished)"
        case .blockOutOfRange(let id, let block, let n): "request '\(id)': block id \(block) out of range 0..<\(n)"
        case .exceedsMaxModelLen(let id, let tokens, let max):
            "request '\(id)': \(tokens) tokens exceed max_model_len \(max)"
        case .invalidRequest(let id, let reason): "request '\(id)': \(reason)"
        case .badIntermediate(let why): "intermediate tensors: \(why)"
        case .badGrammarBitmask(let why): "grammar bitmask: \(why)"
        case .loraLoad(let id, let name, let path, let error):
            "request '\(id)': cannot load LoRA adapter '\(name)' from \(path): \(error)"
        }
    }
}
