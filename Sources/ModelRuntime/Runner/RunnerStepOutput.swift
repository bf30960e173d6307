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
    /// Pipeline stages before the last: the hidden states for the next stage (nothing is sampled).
    public var intermediate: IntermediateTensors?

    public init(
        stepID: UInt64, reqIDs: [String] = [], sampledTokenIDs: [[TokenID]] = [],
        logprobs: [[PositionLogprobs]]? = nil, promptLogprobs: [String: [PositionLogprobs]] = [:],
        intermediate: IntermediateTensors? = nil
    ) {
        self.stepID = stepID
        self.reqIDs = reqIDs
        self.sampledTokenIDs = sampledTokenIDs
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
        self.intermediate = intermediate
    }
}
