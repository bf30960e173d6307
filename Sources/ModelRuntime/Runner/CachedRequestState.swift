import ServingCore

/// The runner's soft state for one live request (vLLM `CachedRequestState`); kept while unscheduled or
/// preempted, dropped when the request finishes. Everything here can be rebuilt from a resend.
struct CachedRequestState: Sendable {
    var reqID: String
    /// Prompt ++ sampled outputs.
    var tokenIDs: [TokenID]
    var numPromptTokens: Int
    var samplingParams: SamplingParams
    var eosTokenID: TokenID?
    var blockIDs: [Int]
    var numComputedTokens: Int
    /// The adapter the request runs with (sent once, in its `NewRequestData`); nil for the base model.
    var lora: LoRARequest?

    var promptTokenIDs: ArraySlice<TokenID> { tokenIDs[..<numPromptTokens] }
    var outputTokenIDs: ArraySlice<TokenID> { tokenIDs[numPromptTokens...] }
    var numTokens: Int { tokenIDs.count }
}
