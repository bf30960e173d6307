/// What the runners return for one step (vLLM `ModelRunnerOutput`): one entry per scheduled request, in the
/// runner's persistent-batch order (docs/architecture.md §4.6).
public struct ModelRunnerOutput: Sendable, Hashable {
    public var stepID: Int
    public var reqIDs: [String]
    /// Parallel to `reqIDs`: the sampled token, or none for a partial prefill chunk.
    public var sampledTokenIDs: [[TokenID]]
    /// Parallel to `reqIDs` (one entry per sampled token) when any request asked for logprobs; nil otherwise.
    public var logprobs: [[PositionLogprobs]]?
    /// For requests asking prompt logprobs: the entries of the prompt tokens this step's chunk predicts (token
    /// i+1 from position i; the first prompt token has none).
    public var promptLogprobs: [String: [PositionLogprobs]]
    /// Pipeline stages before the last: the hidden states for the next stage (nothing is sampled).
    public var intermediate: IntermediateTensors?
    /// The runner process's incarnation; a change means its KV memory is gone. Empty in-process.
    public var runnerIncarnation: String
    /// A runner with a draft model: the drafts it proposes for each request's next step, parallel to `reqIDs`
    /// (empty for requests without); nil when the runner proposes nothing.
    public var draftTokenIDs: [[TokenID]]?

    public init(
        stepID: Int, reqIDs: [String] = [], sampledTokenIDs: [[TokenID]] = [], logprobs: [[PositionLogprobs]]? = nil,
        promptLogprobs: [String: [PositionLogprobs]] = [:], intermediate: IntermediateTensors? = nil,
        runnerIncarnation: String = "", draftTokenIDs: [[TokenID]]? = nil
    ) {
        precondition(reqIDs.count == sampledTokenIDs.count, "one token list per request")
        self.stepID = stepID
        self.reqIDs = reqIDs
        self.sampledTokenIDs = sampledTokenIDs
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
        self.intermediate = intermediate
        self.runnerIncarnation = runnerIncarnation
        self.draftTokenIDs = draftTokenIDs
    }
}
