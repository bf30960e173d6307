import ServingCore

/// One step from the engine-core to the runner; mirrors vLLM's `SchedulerOutput` (docs/architecture.md §4.2).
///
/// Full data is sent once per request (`newRequests`), later steps carry deltas (`cachedRequests`).
public struct RunnerStep: Sendable, Equatable {
    public var stepID: UInt64
    public var newRequests: [NewRequestData]
    public var cachedRequests: [CachedRequestData]
    /// Tokens to compute this step per scheduled request (n ≥ 1).
    public var numScheduledTokens: [String: Int]
    /// Requests finished or aborted since the previous step: the runner forgets them first.
    public var finishedReqIDs: Set<String>
    /// Pipeline stages after the first: the previous stage's hidden states for this step.
    public var intermediate: IntermediateTensors?

    public init(
        stepID: UInt64, newRequests: [NewRequestData] = [], cachedRequests: [CachedRequestData] = [],
        numScheduledTokens: [String: Int] = [:], finishedReqIDs: Set<String> = [],
        intermediate: IntermediateTensors? = nil
    ) {
        self.stepID = stepID
        self.newRequests = newRequests
        self.cachedRequests = cachedRequests
        self.numScheduledTokens = numScheduledTokens
        self.finishedReqIDs = finishedReqIDs
        self.intermediate = intermediate
    }

    public var totalNumScheduledTokens: Int { numScheduledTokens.values.reduce(0, +) }
}
