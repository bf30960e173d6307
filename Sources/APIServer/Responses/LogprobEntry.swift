import ServingCore

/// One position of a completions `logprobs` object: the token there and its logprobs `[token, top1, …, topk]`;
/// `position` is nil for the first prompt token of an echo (nothing precedes it) or a position not reported.
struct LogprobEntry: Sendable, Equatable {
    var tokenID: TokenID
    var position: PositionLogprobs?

    /// The entries of generated (or prompt) positions, each led by its own token.
    static func of(_ positions: [PositionLogprobs]) -> [LogprobEntry] {
        positions.compactMap { p in p.tokenIDs.first.map { LogprobEntry(tokenID: $0, position: p) } }
    }
}
