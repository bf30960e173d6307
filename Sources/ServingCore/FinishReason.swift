/// Why a request finished; the raw values are what OpenAI responses and vLLM's `finish_reason` say.
public enum FinishReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// EOS, a stop token id, or (decided by the api) a stop string.
    case stop
    /// `max_tokens` or `max_model_len` reached.
    case length
    /// Cancelled by the client or by the system.
    case abort
    /// Failed inside the cluster (e.g. the runner lost and never came back).
    case error
}

/// The extra detail vLLM reports as `stop_reason`: the stop token id or the stop string; nil for EOS.
public enum StopReason: Sendable, Hashable, Codable {
    case tokenID(TokenID)
    case string(String)
}
