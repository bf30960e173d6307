/// A token id as every module sees it (vocabularies fit in 31 bits; the wire carries it as int32).
public typealias TokenID = Int32

/// How a request samples and when it stops; mirrors vLLM's `SamplingParams` (docs/architecture.md §6.1).
///
/// Built by the api from an OpenAI request, carried on the wire to the engine-core (stop checks) and the
/// runner (sampler). `validate(vocabSize:)` is the one place the ranges are checked.
public struct SamplingParams: Sendable, Hashable, Codable {
    public var n: Int = 1
    public var temperature: Float = 1.0
    public var topP: Float = 1.0
    /// 0 or −1 switch top-k off.
    public var topK: Int = 0
    public var minP: Float = 0
    public var presencePenalty: Float = 0
    public var frequencyPenalty: Float = 0
    public var repetitionPenalty: Float = 1.0
    /// nil = unseeded (shares the runner's generator).
    public var seed: UInt64? = nil
    public var maxTokens: Int = 16
    public var minTokens: Int = 0
    /// Stop token ids besides EOS; generation-config EOS ids are merged in by the api unless `ignoreEOS`.
    public var stopTokenIDs: [TokenID] = []
    public var ignoreEOS: Bool = false
    /// Number of top logprobs per sampled token; nil = none.
    public var logprobs: Int? = nil
    /// Number of top logprobs per prompt token; nil = none.
    public var promptLogprobs: Int? = nil
    public var logitBias: [TokenID: Float] = [:]
    public var allowedTokenIDs: [TokenID]? = nil
    /// Token sequences to ban (already tokenized by the api).
    public var badWords: [[TokenID]] = []
    /// Stop strings: checked by the api, never by the engine.
    public var stop: [String] = []
    public var includeStopStrInOutput: Bool = false
    public var skipSpecialTokens: Bool = true
    /// A JSON schema, regex, choice or grammar the output must follow; nil = unconstrained.
    public var structuredOutputs: StructuredOutputsParams? = nil

    public init() {}

    /// Temperatures below this are greedy (docs/architecture.md §5.3).
    public static let greedyTemperature: Float = 1e-5

    public var isGreedy: Bool { temperature < Self.greedyTemperature }

    /// The most logprobs a request may ask for (vLLM's default `max_logprobs`).
    public static let maxLogprobs = 20

    /// The most choices one request may ask for (OpenAI's cap): each is a request of its own upstream, so an
    /// unbounded `n` would let one body fan out without limit.
    public static let maxN = 128

    /// Bounds on the list parameters, so one request's per-token checks stay cheap (each is far above real use;
    /// OpenAI allows 4 stop strings and 300 logit_bias entries).
    public static let maxStopStrings = 256
    public static let maxStopTokenIDs = 1024
    public static let maxLogitBias = 4096
    public static let maxBadWords = 1024

    /// Checks every range listed in docs/architecture.md §6.1; throws naming the parameter.
    public func validate(vocabSize: Int? = nil) throws(SamplingParamsError) {
        func fail(_ p: String, _ why: String) -> SamplingParamsError { SamplingParamsError(parameter: p, message: why) }
        guard n >= 1, n <= Self.maxN else { throw fail("n", "n must be in [1, \(Self.maxN)], got \(n)") }
        guard temperature.isFinite, temperature >= 0, temperature <= 2 else {
            throw fail("temperature", "temperature must be in [0, 2], got \(temperature)")
        }
        if isGreedy && n > 1 { throw fail("n", "n must be 1 when using greedy sampling, got \(n)") }
        guard topP > 0, topP <= 1 else { throw fail("top_p", "top_p must be in (0, 1], got \(topP)") }
        guard topK == 0 || topK == -1 || topK >= 1 else {
            throw fail("top_k", "top_k must be 0 or -1 (disable), or at least 1, got \(topK)")
        }
        guard minP >= 0, minP <= 1 else { throw fail("min_p", "min_p must be in [0, 1], got \(minP)") }
        guard presencePenalty >= -2, presencePenalty <= 2 else {
            throw fail("presence_penalty", "presence_penalty must be in [-2, 2], got \(presencePenalty)")
        }
        guard frequencyPenalty >= -2, frequencyPenalty <= 2 else {
            throw fail("frequency_penalty", "frequency_penalty must be in [-2, 2], got \(frequencyPenalty)")
        }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw fail("repetition_penalty", "repetition_penalty must be greater than zero, got \(repetitionPenalty)")
        }
        guard maxTokens >= 1 else { throw fail("max_tokens", "max_tokens must be at least 1, got \(maxTokens)") }
        guard minTokens >= 0, minTokens <= maxTokens else {
            throw fail("min_tokens", "min_tokens must be in [0, max_tokens=\(maxTokens)], got \(minTokens)")
        }
        if let k = logprobs, k < 0 || k > Self.maxLogprobs {
            throw fail("logprobs", "logprobs must be in [0, \(Self.maxLogprobs)], got \(k)")
        }
        if let k = promptLogprobs, k < 0 || k > Self.maxLogprobs {
            throw fail("prompt_logprobs", "prompt_logprobs must be in [0, \(Self.maxLogprobs)], got \(k)")
        }
        if stop.contains("") { throw fail("stop", "stop strings must not be empty") }
        guard stop.count <= Self.maxStopStrings else {
            throw fail("stop", "at most \(Self.maxStopStrings) stop strings, got \(stop.count)")
        }
        guard stopTokenIDs.count <= Self.maxStopTokenIDs else {
            throw fail("stop_token_ids", "at most \(Self.maxStopTokenIDs) stop token ids, got \(stopTokenIDs.count)")
        }
        guard logitBias.count <= Self.maxLogitBias else {
            throw fail("logit_bias", "at most \(Self.maxLogitBias) logit_bias entries, got \(logitBias.count)")
        }
        guard badWords.count <= Self.maxBadWords else {
            throw fail("bad_words", "at most \(Self.maxBadWords) bad_words, got \(badWords.count)")
        }
        try structuredOutputs?.validate()
        if let allowed = allowedTokenIDs, allowed.isEmpty {
            throw fail("allowed_token_ids", "allowed_token_ids must not be empty")
        }
        if let vocab = vocabSize {
            for id in logitBias.keys where id < 0 || Int(id) >= vocab {
                throw fail("logit_bias", "token id \(id) in logit_bias is out of vocabulary (size \(vocab))")
            }
            for id in allowedTokenIDs ?? [] where id < 0 || Int(id) >= vocab {
                throw fail("allowed_token_ids", "token id \(id) is out of vocabulary (size \(vocab))")
            }
            for id in stopTokenIDs where id < 0 || Int(id) >= vocab {
                throw fail("stop_token_ids", "token id \(id) is out of vocabulary (size \(vocab))")
            }
        }
    }
}

/// A sampling parameter out of range; `parameter` is the OpenAI name, so the api can report it as-is.
public struct SamplingParamsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var parameter: String
    public var message: String
    public init(parameter: String, message: String) {
        self.parameter = parameter
        self.message = message
    }
    public var description: String { message }
}
