/// The tokens each structured-output request of a step may sample next (vLLM's `GrammarOutput`;
/// docs/architecture.md §4.2): one row of `wordsPerRow` words per request, in `requestIDs` order. Bit `id % 32` of
/// word `id / 32` of a row is set when token `id` is allowed.
///
/// The engine-core fills it from each request's grammar matcher after scheduling; the runner that samples clears the
/// logits of every token whose bit is 0 before sampling, so logprobs are those of the masked distribution.
public struct GrammarBitmask: Sendable, Hashable {
    public var requestIDs: [String]
    public var words: [UInt32]

    public init(requestIDs: [String] = [], words: [UInt32] = []) {
        self.requestIDs = requestIDs
        self.words = words
    }

    public var wordsPerRow: Int { requestIDs.isEmpty ? 0 : words.count / requestIDs.count }

    /// Words for `vocabSize` tokens.
    public static func wordsPerRow(vocabSize: Int) -> Int { (vocabSize + 31) / 32 }

    /// True when the rows are whole: as many words per row for every request, at least `vocabSize` bits each.
    public func isWellFormed(vocabSize: Int) -> Bool {
        guard !requestIDs.isEmpty else { return words.isEmpty }
        return words.count % requestIDs.count == 0 && wordsPerRow >= Self.wordsPerRow(vocabSize: vocabSize)
            && Set(requestIDs).count == requestIDs.count
    }

    /// Whether row `row` allows `token`.
    public func allows(_ token: TokenID, row: Int) -> Bool {
        let word = words[row * wordsPerRow + Int(token) / 32]
        return word & (1 << UInt32(Int(token) % 32)) != 0
    }
}
