import Foundation

extension ModelConfig {
    /// Reads `<directory>/config.json`.
    public static func load(directory: String) throws(ModelLoadError) -> ModelConfig {
        let path = (directory as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, reason: "file not found")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .badConfig(path: path, reason: "not a JSON object")
        }
        return try ModelConfig(json: json, path: path)
    }

    /// Parses a Hugging Face config dictionary; accepts both the transformers < 5 form (`rope_theta`,
    /// `rope_scaling`, `torch_dtype`) and the ≥ 5 form (`rope_parameters`, `dtype`).
    public init(json: [String: Any], path: String = "config.json") throws(ModelLoadError) {
        func bad(_ why: String) -> ModelLoadError { .badConfig(path: path, reason: why) }
        func int(_ key: String) -> Int? { (json[key] as? NSNumber)?.intValue }
        func need(_ key: String) throws(ModelLoadError) -> Int {
            guard let v = int(key) else { throw bad("missing integer field '\(key)'") }
            return v
        }
        guard let archs = json["architectures"] as? [String], let name = archs.first else {
            throw bad("missing 'architectures'")
        }
        guard let arch = ModelArchitecture(rawValue: name) else { throw .unsupportedArchitecture(name, path: path) }
        let heads = try need("num_attention_heads")
        let hidden = try need("hidden_size")
        let rope = try Self.parseRope(json, bad: bad)
        if arch == .qwen2 || arch == .qwen3, json["use_sliding_window"] as? Bool == true {
            throw bad("use_sliding_window is not supported")
        }
        guard json["mlp_bias"] as? Bool != true else { throw bad("mlp_bias is not supported") }
        let act = json["hidden_act"] as? String ?? "silu"
        guard act == "silu" else { throw bad("hidden_act '\(act)' is not supported (only silu)") }
        let eos: [Int32]
        if let list = json["eos_token_id"] as? [NSNumber] {
            eos = list.map { $0.int32Value }
        } else if let one = json["eos_token_id"] as? NSNumber {
            eos = [one.int32Value]
        } else {
            eos = []
        }
        let window = arch == .mistral ? int("sliding_window") : nil
        self.init(
            architecture: arch, vocabSize: try need("vocab_size"), hiddenSize: hidden,
            numLayers: try need("num_hidden_layers"), numHeads: heads,
            numKVHeads: int("num_key_value_heads") ?? heads, headDim: int("head_dim"),
            intermediateSize: try need("intermediate_size"),
            maxPositionEmbeddings: int("max_position_embeddings") ?? 2048,
            ropeTheta: rope.theta, ropeScaling: rope.scaling,
            rmsNormEps: (json["rms_norm_eps"] as? NSNumber)?.floatValue ?? 1e-6,
            tieWordEmbeddings: json["tie_word_embeddings"] as? Bool ?? false,
            attentionBias: arch == .qwen2 ? true : (json["attention_bias"] as? Bool ?? false),
            slidingWindow: window, dtype: json["dtype"] as? String ?? json["torch_dtype"] as? String,
            bosTokenID: (json["bos_token_id"] as? NSNumber)?.int32Value, eosTokenIDs: eos)
        try validate(path: path)
    }

    private static func parseRope(
        _ json: [String: Any], bad: (String) -> ModelLoadError
    ) throws(ModelLoadError) -> (theta: Double, scaling: RopeScaling) {
        // transformers ≥ 5 folds rope_theta into rope_parameters; older configs keep rope_scaling beside it.
        let params = json["rope_parameters"] as? [String: Any] ?? json["rope_scaling"] as? [String: Any]
        let theta =
            (params?["rope_theta"] as? NSNumber)?.doubleValue
            ?? (json["rope_theta"] as? NSNumber)?.doubleValue ?? 10_000
        guard let p = params else { return (theta, .none) }
        let type = p["rope_type"] as? String ?? p["type"] as? String ?? "default"
        func num(_ key: String) throws(ModelLoadError) -> Double {
            guard let v = (p[key] as? NSNumber)?.doubleValue else { throw bad("rope '\(type)' needs '\(key)'") }
            return v
        }
        switch type {
        case "default":
            return (theta, .none)
        case "linear":
            return (theta, .linear(factor: try num("factor")))
        case "llama3":
            return (
                theta,
                .llama3(
                    factor: try num("factor"), lowFreqFactor: try num("low_freq_factor"),
                    highFreqFactor: try num("high_freq_factor"),
                    originalMaxPositionEmbeddings: Int(try num("original_max_position_embeddings")))
            )
        default:
            throw bad("rope type '\(type)' is not supported (default, linear, llama3)")
        }
    }
}
