import ServingCore
import Tokenization

/// Reads the sampling fields the completions and chat endpoints share into `SamplingParams`
/// (docs/architecture.md §6.1).
///
/// `max_tokens` is returned apart: it is clamped per prompt once the prompt length is known. Ranges are checked
/// later by `SamplingParams.validate(vocabSize:)`, which names the parameter.
enum SamplingFields {
    /// `defaults` (the model's generation config) fill what the request leaves out.
    static func parse(_ f: JSONFields, defaults: SamplingDefaults = .init()) throws(APIError) -> SamplingParams {
        var p = defaults.applied(to: SamplingParams())
        if let n = try f.int("n") { p.n = n }
        if let t = try f.float("temperature") { p.temperature = t }
        if let v = try f.float("top_p") { p.topP = v }
        if let v = try f.int("top_k") { p.topK = v }
        if let v = try f.float("min_p") { p.minP = v }
        if let v = try f.float("presence_penalty") { p.presencePenalty = v }
        if let v = try f.float("frequency_penalty") { p.frequencyPenalty = v }
        if let v = try f.float("repetition_penalty") { p.repetitionPenalty = v }
        if let seed = try f.int("seed"), seed != -1 { p.seed = UInt64(bitPattern: Int64(seed)) }
        if let v = try f.int("min_tokens") { p.minTokens = v }
        if let stop = try f.strings("stop") { p.stop = stop }
        if let ids = try f.ints("stop_token_ids") { p.stopTokenIDs = try tokenIDs(ids, "stop_token_ids") }
        if let v = try f.bool("ignore_eos") { p.ignoreEOS = v }
        if let v = try f.bool("include_stop_str_in_output") { p.includeStopStrInOutput = v }
        if let v = try f.bool("skip_special_tokens") { p.skipSpecialTokens = v }
        if let ids = try f.ints("allowed_token_ids") { p.allowedTokenIDs = try tokenIDs(ids, "allowed_token_ids") }
        if let bias = try f.object("logit_bias") { p.logitBias = try logitBias(bias) }
        return p
    }

    /// The requested output length: the first of `keys` present (chat: `max_completion_tokens`, then `max_tokens`).
    static func maxTokens(_ f: JSONFields, keys: [String]) throws(APIError) -> Int? {
        for key in keys {
            if let v = try f.int(key) {
                guard v >= 1 else { throw .badRequest("\(key) must be at least 1, got \(v)", param: key) }
                return v
            }
        }
        return nil
    }

    /// vLLM's `prompt_logprobs` extension (completions and chat): top logprobs per prompt token, in
    /// [0, `maxLogprobs`]. As vLLM, a positive value (or -1) with `stream: true` is refused: streams have no place
    /// for them.
    static func promptLogprobs(_ f: JSONFields) throws(APIError) -> Int? {
        guard let k = try f.int("prompt_logprobs") else { return nil }
        if try f.bool("stream") == true, k > 0 || k == -1 {
            throw .badRequest("prompt_logprobs are not available when stream is true", param: "prompt_logprobs")
        }
        guard k >= 0, k <= SamplingParams.maxLogprobs else {
            throw .badRequest(
                "prompt_logprobs must be in [0, \(SamplingParams.maxLogprobs)], got \(k)", param: "prompt_logprobs")
        }
        return k
    }

    static func tokenIDs(_ ids: [Int], _ param: String) throws(APIError) -> [TokenID] {
        var out: [TokenID] = []
        out.reserveCapacity(ids.count)
        for id in ids {
            guard let t = TokenID(exactly: id) else {
                throw .badRequest("token id \(id) is out of range", param: param)
            }
            out.append(t)
        }
        return out
    }

    /// `{"token id": bias}`, biases clamped to [−100, 100] as OpenAI does.
    private static func logitBias(_ object: JSONObject) throws(APIError) -> [TokenID: Float] {
        var out: [TokenID: Float] = [:]
        for (key, value) in object.pairs {
            guard let id = TokenID(key) else {
                throw .badRequest("logit_bias keys must be token ids, got \"\(key)\"", param: "logit_bias")
            }
            let bias: Double
            switch value {
            case .int(let i): bias = Double(i)
            case .double(let d): bias = d
            default: throw .badRequest("logit_bias values must be numbers", param: "logit_bias")
            }
            out[id] = Float(min(max(bias, -100), 100))
        }
        return out
    }
}
