import ServingCore

/// One request's progress in one step, for the client (docs/scheduling.md §12). At most one per request per step.
public struct EngineCoreOutput: Sendable, Hashable {
    public var reqID: String
    public var newTokenIDs: [TokenID]
    public var newLogprobs: [PositionLogprobs]?
    public var newPromptLogprobs: [PositionLogprobs]?
    /// Set exactly when the request finished.
    public var finishReason: FinishReason?
    public var stopReason: StopReason?
    /// Prompt tokens served from the prefix cache at first admission.
    public var numCachedTokens: Int
    /// With finish reason "error": why, for the client (e.g. the runner's refusal of the step).
    public var errorMessage: String?
    /// A producer's finished prefill: what its consumer needs to pull the held blocks (docs/disaggregation.md).
    public var kvTransferParams: KVTransferParams?

    public init(
        reqID: String, newTokenIDs: [TokenID], newLogprobs: [PositionLogprobs]? = nil,
        newPromptLogprobs: [PositionLogprobs]? = nil, finishReason: FinishReason? = nil,
        stopReason: StopReason? = nil, numCachedTokens: Int = 0, errorMessage: String? = nil,
        kvTransferParams: KVTransferParams? = nil
    ) {
        self.reqID = reqID
        self.newTokenIDs = newTokenIDs
        self.newLogprobs = newLogprobs
        self.newPromptLogprobs = newPromptLogprobs
        self.finishReason = finishReason
        self.stopReason = stopReason
        self.numCachedTokens = numCachedTokens
        self.errorMessage = errorMessage
        self.kvTransferParams = kvTransferParams
    }
}
