import ServingCore

/// What one choice adds in one step: the text released to the client, the new tokens and their logprobs, the
/// prompt's logprobs (positions 1… of the prompt, on the request's first output only), and the finish when it
/// happened.
struct ChoiceDelta: Sendable, Equatable {
    var index: Int
    var text = ""
    var tokenIDs: [TokenID] = []
    var logprobs: [PositionLogprobs] = []
    var promptLogprobs: [PositionLogprobs] = []
    var finishReason: FinishReason?
    var stopReason: StopReason?
    var abortUpstream = false
    var numCachedTokens = 0
    var errorMessage = ""
}
