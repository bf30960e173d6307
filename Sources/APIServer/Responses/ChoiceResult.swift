import ServingCore

/// One choice of a non-streaming response, accumulated from its deltas.
struct ChoiceResult: Sendable {
    var index: Int
    var text = ""
    var numTokens = 0
    /// The generated token ids (vLLM's `return_token_ids`).
    var tokenIDs: [TokenID] = []
    var logprobs: [PositionLogprobs] = []
    /// The prompt's logprobs from position 1 on (position 0 has none), when the request asked for them.
    var promptLogprobs: [PositionLogprobs] = []
    var finishReason: FinishReason?
    var stopReason: StopReason?
    var cachedTokens = 0
    /// The length of the choice's prompt, where `promptLogprobs` belong (`PromptPositions`).
    var promptLength = 0

    init(index: Int, promptLength: Int = 0) {
        self.index = index
        self.promptLength = promptLength
    }

    mutating func add(_ delta: ChoiceDelta) {
        text += delta.text
        numTokens += delta.tokenIDs.count
        tokenIDs += delta.tokenIDs
        logprobs += delta.logprobs
        promptLogprobs += delta.promptLogprobs
        cachedTokens = max(cachedTokens, delta.numCachedTokens)
        if let reason = delta.finishReason {
            finishReason = reason
            stopReason = delta.stopReason
        }
    }

    /// Collects every choice of `generation`; an engine-side error finish becomes a 500.
    static func collect(_ generation: Generation) async throws -> [ChoiceResult] {
        var results: [Int: ChoiceResult] = [:]
        for child in generation.children {
            results[child.index] = ChoiceResult(index: child.index, promptLength: child.promptTokens)
        }
        try await generation.forEach { delta in
            if delta.finishReason == .error {
                throw APIError.internalError("The engine failed the request: \(delta.errorMessage)")
            }
            results[delta.index, default: ChoiceResult(index: delta.index)].add(delta)
        }
        return results.values.sorted { $0.index < $1.index }
    }

    static func usage(_ results: [ChoiceResult], promptTokens: Int) -> Usage {
        Usage(
            promptTokens: promptTokens, completionTokens: results.map(\.numTokens).reduce(0, +),
            cachedTokens: results.map(\.cachedTokens).reduce(0, +))
    }
}
