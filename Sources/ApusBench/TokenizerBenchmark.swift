import ServingCore
import Tokenization

/// Measures encode and incremental-detokenize throughput on about 1 MB of mixed text.
///
/// Returns human-readable lines (callers print them); uses only the clock it is handed by the standard library.
public enum TokenizerBenchmark {
    static let sentences = [
        "The quick brown fox jumps over the lazy dog while the scheduler batches requests. ",
        "def forward(self, x):\n    return self.proj(x) + 1  # residual\n",
        "在大型语言模型的推理服务中，分页注意力可以显著提高显存利用率。",
        "Привет! Это тест токенизатора с кириллицей и числами 12345. ",
        "Emoji stream 🚀🔥👍🏽 and accents: café naïve résumé. ",
        "   indented    text\twith\ttabs and\n\n\nblank lines   \n",
        "JSON {\"id\": 42, \"values\": [3.14, 2.71, 1.41], \"ok\": true}\n",
        "こんにちは、世界。トークナイザーのベンチマークです。",
    ]

    /// About `bytes` of text assembled deterministically from `sentences`.
    public static func mixedText(bytes: Int = 1 << 20) -> String {
        var text = ""
        text.reserveCapacity(bytes + 256)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        while text.utf8.count < bytes {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += sentences[Int(state >> 33) % sentences.count]
        }
        return text
    }

    /// Encodes about `bytes` of mixed text twice (cold, then warm word cache), decodes it, and streams it through
    /// an `IncrementalDetokenizer`; returns one line per measurement.
    public static func run(tokenizer: Tokenizer, bytes: Int = 1 << 20) -> [String] {
        let text = mixedText(bytes: bytes)
        let megabytes = Double(text.utf8.count) / 1_048_576
        let clock = ContinuousClock()
        var ids: [TokenID] = []
        let cold = clock.measure { ids = tokenizer.encode(text, addSpecialTokens: false) }
        let warm = clock.measure { ids = tokenizer.encode(text, addSpecialTokens: false) }
        var decoded = ""
        let decode = clock.measure { decoded = tokenizer.decode(ids) }
        var streamed = ""
        let incremental = clock.measure {
            var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer, promptTokenIDs: [])
            for id in ids { streamed += detokenizer.add(id) }
            streamed += detokenizer.finish()
        }
        func rate(_ count: Double, _ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
            return String(Int((count / max(seconds, 1e-9)).rounded()))
        }
        func mbps(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
            return String(Double(Int(megabytes / max(seconds, 1e-9) * 100)) / 100)
        }
        return [
            "text: \(text.utf8.count) bytes, \(ids.count) tokens, vocab \(tokenizer.vocabSize)",
            "encode (cold cache): \(mbps(cold)) MB/s, \(rate(Double(ids.count), cold)) tokens/s",
            "encode (warm cache): \(mbps(warm)) MB/s, \(rate(Double(ids.count), warm)) tokens/s",
            "decode (one call): \(rate(Double(ids.count), decode)) tokens/s, "
                + "round trip \(decoded == text ? "exact" : "DIFFERS")",
            "incremental detokenize: \(rate(Double(ids.count), incremental)) tokens/s, "
                + "text \(streamed == text ? "exact" : "DIFFERS")",
        ]
    }
}
