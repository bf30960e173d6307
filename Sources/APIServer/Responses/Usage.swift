import ServingCore
import Tokenization

/// `usage`, with `prompt_tokens_details.cached_tokens` from the engine's prefix-cache hits.
struct Usage: Sendable {
    var promptTokens = 0
    var completionTokens = 0
    var cachedTokens = 0

    var json: JSONValue {
        [
            "prompt_tokens": .int(promptTokens), "total_tokens": .int(promptTokens + completionTokens),
            "completion_tokens": .int(completionTokens),
            "prompt_tokens_details": ["cached_tokens": .int(cachedTokens)],
        ]
    }
}

extension StopReason {
    var json: JSONValue {
        switch self {
        case .tokenID(let id): .int(Int(id))
        case .string(let s): .string(s)
        }
    }
}

extension Usage {
    /// Counts a streamed delta.
    mutating func add(_ delta: ChoiceDelta) {
        completionTokens += delta.tokenIDs.count
        cachedTokens += delta.numCachedTokens
    }
}
