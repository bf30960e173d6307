/// One engine step: the scheduler's decisions, sent to every runner (vLLM `SchedulerOutput`). New requests come
/// in full once, later steps carry deltas; a step may carry only `finishedReqIDs` (docs/architecture.md §4.2).
public struct SchedulerOutput: Sendable, Hashable {
    public var stepID: Int
    public var scheduledNewReqs: [NewRequestData]
    public var scheduledCachedReqs: [CachedRequestData]
    /// Tokens to compute this step per scheduled request (≥ 1 each).
    public var numScheduledTokens: [String: Int]
    /// Finished or aborted since the previous step: runners drop their state first.
    public var finishedReqIDs: Set<String>
    /// Preempted since the previous step. The engine-core reads it; runners are not sent it (a preempted
    /// request is simply not scheduled, and comes back resumed).
    public var preemptedReqIDs: Set<String>
    /// Pipeline stages after the first: the previous stage's hidden states for this step.
    public var intermediate: IntermediateTensors?
    /// Structured output: the allowed next tokens of the scheduled requests that sample under a grammar.
    public var grammar: GrammarBitmask?
    /// Speculative decoding (vLLM `scheduled_spec_decode_tokens`): per request, the draft tokens to verify. They
    /// are the last of its `numScheduledTokens`; a negative id is padding (always rejected).
    public var scheduledSpecDecodeTokens: [String: [TokenID]]

    public init(
        stepID: Int, scheduledNewReqs: [NewRequestData] = [], scheduledCachedReqs: [CachedRequestData] = [],
        numScheduledTokens: [String: Int] = [:], finishedReqIDs: Set<String> = [], preemptedReqIDs: Set<String> = [],
        intermediate: IntermediateTensors? = nil, grammar: GrammarBitmask? = nil,
        scheduledSpecDecodeTokens: [String: [TokenID]] = [:]
    ) {
        self.stepID = stepID
        self.scheduledNewReqs = scheduledNewReqs
        self.scheduledCachedReqs = scheduledCachedReqs
        self.numScheduledTokens = numScheduledTokens
        self.finishedReqIDs = finishedReqIDs
        self.preemptedReqIDs = preemptedReqIDs
        self.intermediate = intermediate
        self.grammar = grammar
        self.scheduledSpecDecodeTokens = scheduledSpecDecodeTokens
    }

    public var totalNumScheduledTokens: Int { numScheduledTokens.values.reduce(0, +) }

    /// Nothing for the runners: no tokens, no finished or preempted requests.
    public var isEmpty: Bool { numScheduledTokens.isEmpty && finishedReqIDs.isEmpty && preemptedReqIDs.isEmpty }

    /// Every scheduled request id, new ones first.
    public var scheduledReqIDs: [String] { scheduledNewReqs.map(\.reqID) + scheduledCachedReqs.map(\.reqID) }
}
