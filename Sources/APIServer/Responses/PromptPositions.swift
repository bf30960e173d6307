import ServingCore

/// Places the prompt logprobs an upstream reported at their prompt positions.
///
/// Upstream reports positions 1… of the prompt in order, ending at the last prompt token; position 0 has none
/// (nothing precedes it). When it reports fewer — a prefill split into chunks whose earlier chunks' logprobs were
/// not delivered — the reported ones are the tail: they are aligned from the end and the positions before them
/// stay nil, so a logprob is never shown on the wrong token.
enum PromptPositions {
    /// `promptLength` entries: nil for position 0 and for every position not reported.
    static func align(_ reported: [PositionLogprobs], promptLength: Int) -> [PositionLogprobs?] {
        guard promptLength > 0 else { return [] }
        let tail = reported.suffix(promptLength - 1).map { Optional($0) }
        return Array(repeating: nil, count: promptLength - tail.count) + tail
    }
}
