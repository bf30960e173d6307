/// Why a draft model (speculative decoding's `draft_model` method) was refused at start-up.
public enum DraftModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The draft's checkpoint or config could not be loaded.
    case load(ModelLoadError)
    /// Draft and target must share one tokenizer: the target verifies the draft's token ids as its own.
    case vocabularyMismatch(draft: String, draftVocabSize: Int, targetVocabSize: Int)
    /// The draft's positions (max_position_embeddings or sliding window) stop before the runner's max_model_len.
    case tooShort(draft: String, draftMaxLen: Int, maxModelLen: Int)
    /// A pipeline stage holds part of the target; the draft runs beside the whole model only.
    case pipelineStage
    case badNumSpeculativeTokens(Int)

    public var description: String {
        switch self {
        case .load(let error): "cannot load the draft model: \(error)"
        case .vocabularyMismatch(let draft, let d, let t):
            "the draft model \(draft) has a vocabulary of \(d) tokens, the target \(t): they must share one tokenizer"
        case .tooShort(let draft, let d, let m):
            "the draft model \(draft) handles \(d) positions, fewer than max_model_len \(m): lower --max-model-len"
        case .pipelineStage: "a draft model needs the whole target model in one runner (no pipeline stages)"
        case .badNumSpeculativeTokens(let k): "num_speculative_tokens must be at least 1, got \(k)"
        }
    }
}
