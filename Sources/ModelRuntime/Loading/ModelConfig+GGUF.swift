import ModelFiles
import ServingCore

extension ModelConfig {
    /// The GGUF `general.architecture` names Apus runs, and the Hugging Face architecture each is.
    static let ggufArchitectures: [String: ModelArchitecture] = ["llama": .llama, "qwen2": .qwen2, "qwen3": .qwen3]

    /// Reads the model hyperparameters from a GGUF file's metadata (`<arch>.block_count`, `<arch>.embedding_length`
    /// …) and its tensor list (tied embeddings = no `output.weight`; q/k/v biases = `blk.0.attn_q.bias` present).
    public init(gguf file: GGUFFile) throws(ModelLoadError) {
        func bad(_ why: String) -> ModelLoadError { .badConfig(path: file.path, reason: why) }
        guard let name = file.string("general.architecture") else {
            throw bad("missing string general.architecture")
        }
        guard let arch = Self.ggufArchitectures[name] else {
            throw .unsupportedArchitecture(name, path: file.path)
        }
        func int(_ key: String) -> Int? { file.int("\(name).\(key)") }
        func need(_ key: String) throws(ModelLoadError) -> Int {
            guard let v = int(key) else { throw bad("missing integer \(name).\(key)") }
            return v
        }
        let hidden = try need("embedding_length")
        let heads = try need("attention.head_count")
        let headDim = int("attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
        if let valueLength = int("attention.value_length"), valueLength != headDim {
            throw bad("\(name).attention.value_length \(valueLength) differs from key_length \(headDim)")
        }
        if let rotary = int("rope.dimension_count"), rotary != headDim {
            throw bad("partial rotary embeddings (\(name).rope.dimension_count \(rotary) of head size \(headDim))")
        }
        let vocab =
            int("vocab_size") ?? file.strings("tokenizer.ggml.tokens")?.count
            ?? (try? file.tensor("token_embd.weight"))?.shape.first
        guard let vocab else { throw bad("no \(name).vocab_size, token list or token_embd.weight") }

        var scaling = RopeScaling.none
        let scalingType = file.string("\(name).rope.scaling.type") ?? "none"
        switch scalingType {
        case "none": break
        case "linear":
            guard let factor = file.float("\(name).rope.scaling.factor") else {
                throw bad("rope scaling linear needs \(name).rope.scaling.factor")
            }
            scaling = .linear(factor: factor)
        default:
            throw bad("rope scaling '\(scalingType)' is not supported (none, linear, and llama3 via rope_freqs)")
        }
        if file.contains("rope_freqs.weight") {
            let info = try GGUFSource.checked(file, "rope_freqs.weight")
            guard info.type == .f32, info.shape == [headDim / 2] else {
                throw bad("rope_freqs.weight must be \(headDim / 2) f32 values, found \(info.type) \(info.shape)")
            }
            let factors = file.bytes(of: info).withMemoryRebound(to: Float.self) { Array($0) }
            guard factors.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw bad("rope_freqs.weight has a factor ≤ 0") }
            scaling = .frequencyFactors(factors)
        }

        // Checked against the vocabulary before narrowing: a 64-bit id from the file must not trap.
        func tokenID(_ key: String) throws(ModelLoadError) -> TokenID? {
            guard let id = file.int(key) else { return nil }
            guard id >= 0, id < vocab else { throw bad("\(key) \(id) is outside the vocabulary (0..<\(vocab))") }
            return TokenID(id)
        }
        var eos: [TokenID] = []
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = try tokenID(key), !eos.contains(id) { eos.append(id) }
        }
        let bos = try tokenID("tokenizer.ggml.bos_token_id")
        self.init(
            architecture: arch, vocabSize: vocab, hiddenSize: hidden, numLayers: try need("block_count"),
            numHeads: heads, numKVHeads: int("attention.head_count_kv") ?? heads, headDim: headDim,
            intermediateSize: try need("feed_forward_length"),
            maxPositionEmbeddings: int("context_length") ?? 2048,
            ropeTheta: file.float("\(name).rope.freq_base") ?? 10_000, ropeScaling: scaling,
            rmsNormEps: Float(file.float("\(name).attention.layer_norm_rms_epsilon") ?? 1e-6),
            tieWordEmbeddings: !file.contains("output.weight"),
            attentionBias: file.contains("blk.0.attn_q.bias"), slidingWindow: nil,
            dtype: GGUFSource.predominantType(file).map { "\($0)" },
            bosTokenID: bos, eosTokenIDs: eos)
        try validate(path: file.path)
    }
}
