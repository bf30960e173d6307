import Foundation

/// `--speculative-config`, vLLM's JSON flag (docs/scheduling.md §15), checked at start-up.
///
/// `{"method": "ngram", "num_speculative_tokens": k, "prompt_lookup_min": a, "prompt_lookup_max": b}` — prompt
/// lookup; vLLM's defaults: both bounds 5 when neither is given, else the missing one equals the other.
/// `{"method": "suffix", "num_speculative_tokens": k, "suffix_decoding_max_tree_depth": d,
/// "suffix_decoding_max_cached_requests": n, "suffix_decoding_max_spec_factor": f, "suffix_decoding_min_token_prob":
/// p}` — suffix decoding (`SuffixProposer`), vLLM's defaults 24, 10,000, 1.0 and 0.1, and k defaulting to d.
/// `{"method": "draft_model", "model": PATH, "num_speculative_tokens": k}` — a smaller model with the same
/// vocabulary, loaded by the runner (given the same flag) beside the target; it drafts greedily after each step, and
/// its KV uses the target's block ids in a pool of its own, so the engine-core still allocates every block.
/// Other methods (EAGLE, MTP, Medusa) are refused with a message: not supported yet.
public struct SpeculativeConfig: Sendable, Equatable {
    public enum Method: String, Sendable, Equatable {
        case ngram
        case suffix
        case draftModel = "draft_model"
    }

    public var method: Method
    /// The most drafts proposed per step (vLLM `num_speculative_tokens`).
    public var numSpeculativeTokens: Int
    public var promptLookupMin = 5
    public var promptLookupMax = 5
    public var suffixMaxTreeDepth = 24
    public var suffixMaxCachedRequests = 10_000
    public var suffixMaxSpecFactor = 1.0
    public var suffixMinTokenProb = 0.1
    /// `draft_model`: the draft model's path (a GGUF file or a Hugging Face directory).
    public var draftModel: String?

    /// Whether the runner proposes the drafts (a draft model) rather than the engine-core.
    public var runnerProposes: Bool { method == .draftModel }

    public init(method: Method, numSpeculativeTokens: Int) {
        self.method = method
        self.numSpeculativeTokens = numSpeculativeTokens
    }

    /// Parses and validates the flag's JSON; throws a message naming the bad key.
    public init(json: String) throws(SpeculativeConfigError) {
        struct Fields: Decodable {
            var method: String?
            var num_speculative_tokens: Int?
            var prompt_lookup_min: Int?
            var prompt_lookup_max: Int?
            var model: String?
            var suffix_decoding_max_tree_depth: Int?
            var suffix_decoding_max_cached_requests: Int?
            var suffix_decoding_max_spec_factor: Double?
            var suffix_decoding_min_token_prob: Double?
        }
        let data = Data(json.utf8)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SpeculativeConfigError("--speculative-config must be a JSON object, got \(json)")
        }
        let known: Set<String> = [
            "method", "num_speculative_tokens", "prompt_lookup_min", "prompt_lookup_max", "model",
            "suffix_decoding_max_tree_depth", "suffix_decoding_max_cached_requests", "suffix_decoding_max_spec_factor",
            "suffix_decoding_min_token_prob",
        ]
        if let unknown = object.keys.filter({ !known.contains($0) }).sorted().first {
            throw SpeculativeConfigError("--speculative-config: unknown key \"\(unknown)\"")
        }
        let fields: Fields
        do {
            fields = try JSONDecoder().decode(Fields.self, from: data)
        } catch DecodingError.typeMismatch(_, let context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SpeculativeConfigError("--speculative-config: \(key) has the wrong type")
        } catch {
            throw SpeculativeConfigError("--speculative-config: \(error)")
        }
        guard let name = fields.method else {
            throw SpeculativeConfigError("--speculative-config needs \"method\" (ngram, suffix or draft_model)")
        }
        guard let method = Method(rawValue: name) else {
            let vllmMethods: Set = ["eagle", "eagle3", "mtp", "medusa", "mlp_speculator"]
            if vllmMethods.contains(name) {
                throw SpeculativeConfigError(
                    "--speculative-config: method \"\(name)\" is not supported yet (supported: ngram, suffix, draft_model)")
            }
            throw SpeculativeConfigError(
                "--speculative-config: unknown method \"\(name)\" (supported: ngram, suffix, draft_model)")
        }
        // NOTE: vLLM's suffix method defaults num_speculative_tokens to the tree depth.
        let depth = fields.suffix_decoding_max_tree_depth
        guard let k = fields.num_speculative_tokens ?? (method == .suffix ? depth ?? 24 : nil) else {
            throw SpeculativeConfigError("--speculative-config needs \"num_speculative_tokens\"")
        }
        guard k >= 1 else {
            throw SpeculativeConfigError("--speculative-config: num_speculative_tokens must be at least 1, got \(k)")
        }
        self.init(method: method, numSpeculativeTokens: k)
        switch (fields.prompt_lookup_min, fields.prompt_lookup_max) {
        case (nil, nil): break
        case (let a?, nil): (promptLookupMin, promptLookupMax) = (a, a)
        case (nil, let b?): (promptLookupMin, promptLookupMax) = (b, b)
        case (let a?, let b?): (promptLookupMin, promptLookupMax) = (a, b)
        }
        guard promptLookupMin >= 1 else {
            throw SpeculativeConfigError("--speculative-config: prompt_lookup_min must be at least 1")
        }
        guard promptLookupMin <= promptLookupMax else {
            throw SpeculativeConfigError(
                "--speculative-config: prompt_lookup_min=\(promptLookupMin) must be <= "
                    + "prompt_lookup_max=\(promptLookupMax)")
        }
        if let depth { suffixMaxTreeDepth = depth }
        guard suffixMaxTreeDepth >= 1 else {
            throw SpeculativeConfigError("--speculative-config: suffix_decoding_max_tree_depth must be at least 1")
        }
        if let n = fields.suffix_decoding_max_cached_requests { suffixMaxCachedRequests = n }
        guard suffixMaxCachedRequests >= 0 else {
            throw SpeculativeConfigError("--speculative-config: suffix_decoding_max_cached_requests must be >= 0")
        }
        if let f = fields.suffix_decoding_max_spec_factor { suffixMaxSpecFactor = f }
        guard suffixMaxSpecFactor >= 0, suffixMaxSpecFactor.isFinite else {
            throw SpeculativeConfigError("--speculative-config: suffix_decoding_max_spec_factor must be >= 0")
        }
        if let p = fields.suffix_decoding_min_token_prob { suffixMinTokenProb = p }
        guard (0...1).contains(suffixMinTokenProb) else {
            throw SpeculativeConfigError("--speculative-config: suffix_decoding_min_token_prob must be in [0, 1]")
        }
        if method == .draftModel {
            guard let model = fields.model, !model.isEmpty else {
                throw SpeculativeConfigError("--speculative-config: draft_model needs \"model\": the draft model's path")
            }
            draftModel = model
        } else if let model = fields.model, model != method.rawValue {
            // NOTE: vLLM accepts "model": "ngram" as a spelling of the method; any other model names a draft model.
            throw SpeculativeConfigError(
                "--speculative-config: \"model\" names a draft model; use \"method\": \"draft_model\"")
        }
    }
}

/// A `--speculative-config` refused at start-up.
public struct SpeculativeConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
