import ServingCore

/// What a runner returns for one step: sampled tokens per scheduled request (docs/architecture.md §4.6).
///
/// `sampledTokenIDs[i]` belongs to `reqIDs[i]` and is empty for a partial prefill chunk.
public struct ModelRunnerOutput: Sendable, Hashable {
    public var stepID: Int
    public var reqIDs: [String]
    public var sampledTokenIDs: [[TokenID]]
    /// Per request, the logprobs of each sampled token (when the request asked for them).
    public var logprobs: [[PositionLogprobs]]?
    /// Per request id, the prompt logprobs (sent with the final prefill chunk).
    public var promptLogprobs: [String: [PositionLogprobs]]?
    /// The runner's incarnation; a change means its KV memory is gone.
    public var runnerIncarnation: UInt64

    public init(
        stepID: Int = 0, reqIDs: [String], sampledTokenIDs: [[TokenID]], logprobs: [[PositionLogprobs]]? = nil,
        promptLogprobs: [String: [PositionLogprobs]]? = nil, runnerIncarnation: UInt64 = 0
    ) {
        precondition(reqIDs.count == sampledTokenIDs.count, "one token list per request")
        self.stepID = stepID
        self.reqIDs = reqIDs
        self.sampledTokenIDs = sampledTokenIDs
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
        self.runnerIncarnation = runnerIncarnation
    }
}

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

    public init(
        reqID: String, newTokenIDs: [TokenID], newLogprobs: [PositionLogprobs]? = nil,
        newPromptLogprobs: [PositionLogprobs]? = nil, finishReason: FinishReason? = nil,
        stopReason: StopReason? = nil, numCachedTokens: Int = 0
    ) {
        self.reqID = reqID
        self.newTokenIDs = newTokenIDs
        self.newLogprobs = newLogprobs
        self.newPromptLogprobs = newPromptLogprobs
        self.finishReason = finishReason
        self.stopReason = stopReason
        self.numCachedTokens = numCachedTokens
    }
}
