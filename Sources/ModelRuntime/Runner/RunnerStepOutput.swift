import ServingCore

/// What the runner returns for a step; mirrors vLLM's `ModelRunnerOutput`.
public struct RunnerStepOutput: Sendable, Equatable {
    public var stepID: UInt64
    /// Scheduled requests in persistent-batch order.
    public var reqIDs: [String]
    /// Parallel to `reqIDs`: one token per request, or none for a partial prefill chunk.
    public var sampledTokenIDs: [[TokenID]]
    /// Parallel to `reqIDs` (per sampled token) when any request asked for logprobs; nil otherwise.
    public var logprobs: [[PositionLogprobs]]?
    /// For requests asking prompt logprobs: entries for the prompt tokens this step's chunk predicts
    /// (token i+1 from position i; the first prompt token has none).
    public var promptLogprobs: [String: [PositionLogprobs]]

    public init(stepID: UInt64, reqIDs: [String] = [], sampledTokenIDs: [[TokenID]] = [],
                logprobs: [[PositionLogprobs]]? = nil, promptLogprobs: [String: [PositionLogprobs]] = [:]) {
        self.stepID = stepID
        self.reqIDs = reqIDs
        self.sampledTokenIDs = sampledTokenIDs
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
    }
}

/// A step the runner refused; the runner's state is unchanged and it stays usable.
public enum RunnerError: Error, Sendable, Equatable, CustomStringConvertible {
    case kvCacheNotInitialized
    case unknownRequest(String)
    case blockOutOfRange(reqID: String, blockID: Int, numBlocks: Int)
    case exceedsMaxModelLen(reqID: String, tokens: Int, maxModelLen: Int)
    case invalidRequest(reqID: String, reason: String)

    public var description: String {
        switch self {
        case .kvCacheNotInitialized: "the KV cache is not initialized (call InitializeCache first)"
        case .unknownRequest(let id): "unknown request id '\(id)' (not sent as a new request, or already finished)"
        case .blockOutOfRange(let id, let block, let n): "request '\(id)': block id \(block) out of range 0..<\(n)"
        case .exceedsMaxModelLen(let id, let tokens, let max):
            "request '\(id)': \(tokens) tokens exceed max_model_len \(max)"
        case .invalidRequest(let id, let reason): "request '\(id)': \(reason)"
        }
    }
}
