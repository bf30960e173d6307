import ServingCore

extension ModelRunner {
    /// Sets to −∞ the logits of every token row `row` of `grammar` does not allow (docs/architecture.md §4.2), before
    /// the sampler's processors and temperature, so sampling and logprobs both see the masked distribution.
    static func applyGrammar(
        _ grammar: GrammarBitmask, row: Int, to logits: UnsafeMutablePointer<Float>, vocabSize: Int
    ) {
        let perRow = grammar.wordsPerRow
        grammar.words.withUnsafeBufferPointer { words in
            let base = row * perRow
            for w in 0..<min(perRow, (vocabSize + 31) / 32) {
                var blocked = ~words[base + w]
                guard blocked != 0 else { continue }
                while blocked != 0 {
                    let bit = blocked.trailingZeroBitCount
                    let token = w * 32 + bit
                    if token < vocabSize { logits[token] = -.infinity }
                    blocked &= blocked - 1
                }
            }
        }
    }
}
