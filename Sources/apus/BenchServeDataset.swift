import Foundation
import ServingCore

/// The random dataset of `apus bench serve`, in the spirit of vLLM's `random` dataset: every prompt has a shared
/// prefix of `prefixLength` random tokens (0 = none) followed by `inputLength` random tokens, and asks for
/// `outputLength` tokens with ignore_eos. Prompts go out as token ids ("prompt": [ids]) or, with `.words`, as
/// random words from a small list (one word ≈ one token).
///
/// The `repeat` dataset measures speculative decoding where it pays: each prompt is a copying exercise in words
/// (an example text and its copy, then a new text of about `inputLength` words to copy), so a model's answer
/// repeats its prompt and prompt lookup finds it.
struct BenchServeDataset {
    enum PromptFormat: String, CaseIterable {
        case ids, words
    }

    enum Name: String, CaseIterable {
        case random, `repeat`
    }

    struct Prompt {
        /// Either token ids or text, as the endpoint will receive it.
        var tokenIDs: [Int32]?
        var text: String?
        /// Prompt tokens as counted here (exact for ids, approximate for words).
        var inputTokens: Int
        var outputTokens: Int
    }

    static let words = [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
        "who", "so", "no", "time", "model", "token", "cache", "engine", "router", "request", "stream", "batch",
    ]

    /// `count` prompts drawn with `seed`; token ids uniformly from [`lowTokenID`, `vocabSize`).
    static func make(
        count: Int, inputLength: Int, outputLength: Int, prefixLength: Int, vocabSize: Int, format: PromptFormat,
        seed: UInt64, name: Name = .random
    ) -> [Prompt] {
        var rng = SplitMix64(seed: seed)
        let low = min(100, max(vocabSize / 10, 0))
        func randomIDs(_ n: Int) -> [Int32] {
            (0..<n).map { _ in Int32(low + Int(rng.next() % UInt64(max(vocabSize - low, 1)))) }
        }
        func randomWords(_ n: Int) -> [String] {
            (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }
        }
        if name == .repeat {
            return (0..<count).map { _ in
                let example = randomWords(12).joined(separator: " ")
                let text = randomWords(max(inputLength, 1)).joined(separator: " ")
                let prompt = "Copy each text exactly.\nText: \(example)\nCopy: \(example)\nText: \(text)\nCopy:"
                return Prompt(
                    tokenIDs: nil, text: prompt, inputTokens: 2 * 12 + inputLength + 12, outputTokens: outputLength)
            }
        }
        switch format {
        case .ids:
            let prefix = randomIDs(prefixLength)
            return (0..<count).map { _ in
                Prompt(tokenIDs: prefix + randomIDs(inputLength), text: nil, inputTokens: prefixLength + inputLength,
                       outputTokens: outputLength)
            }
        case .words:
            let prefix = randomWords(prefixLength)
            return (0..<count).map { _ in
                Prompt(tokenIDs: nil, text: (prefix + randomWords(inputLength)).joined(separator: " "),
                       inputTokens: prefixLength + inputLength, outputTokens: outputLength)
            }
        }
    }
}

/// A `--seed` reproduces the same prompts and arrival times.
extension SplitMix64 {
    /// Uniform in (0, 1].
    mutating func unit() -> Double {
        (Double(next() >> 11) + 1) / Double(1 << 53)
    }

    /// An exponential gap with the given rate (Poisson arrivals), in seconds.
    mutating func exponential(rate: Double) -> Double {
        -log(unit()) / rate
    }
}
