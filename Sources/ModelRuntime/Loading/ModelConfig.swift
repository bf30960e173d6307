import ServingCore

/// What the runtime needs from a Hugging Face `config.json`, checked up front.
public struct ModelConfig: Sendable, Equatable {
    public var architecture: ModelArchitecture
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var intermediateSize: Int
    public var maxPositionEmbeddings: Int
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling
    public var rmsNormEps: Float
    public var tieWordEmbeddings: Bool
    /// Bias on q/k/v projections (always for Qwen2; `attention_bias` for Llama).
    public var attentionBias: Bool
    /// RMSNorm over each head of q and of k before RoPE (Qwen3's `q_norm` / `k_norm`).
    public var qkNorm: Bool
    /// Attention window (Mistral v0.1); nil = full attention. The runner caps max_model_len at it.
    public var slidingWindow: Int?
    /// The checkpoint's `dtype` / `torch_dtype` (informative: compute is f32).
    public var dtype: String?
    public var bosTokenID: TokenID?
    public var eosTokenIDs: [TokenID]

    public init(
        architecture: ModelArchitecture, vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int,
        numKVHeads: Int, headDim: Int? = nil, intermediateSize: Int, maxPositionEmbeddings: Int,
        ropeTheta: Double = 10_000, ropeScaling: RopeScaling = .none, rmsNormEps: Float = 1e-5,
        tieWordEmbeddings: Bool = false, attentionBias: Bool? = nil, slidingWindow: Int? = nil,
        dtype: String? = nil, bosTokenID: TokenID? = nil, eosTokenIDs: [TokenID] = []
    ) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim ?? (numHeads > 0 ? hiddenSize / numHeads : 0)
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.rmsNormEps = rmsNormEps
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias ?? (architecture == .qwen2)
        self.qkNorm = architecture == .qwen3
        self.slidingWindow = slidingWindow
        self.dtype = dtype
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
    }

    /// The model `apus serve` runs without a download: a small Llama whose weights come from dummy seed 0,
    /// paired with the repo's 512-token byte-level BPE tokenizer (ids 0 `<|endoftext|>`, 1 `<|im_start|>`,
    /// 2 `<|im_end|>`).
    public static let embeddedDefault = ModelConfig(
        architecture: .llama, vocabSize: 512, hiddenSize: 256, numLayers: 4, numHeads: 8, numKVHeads: 2,
        headDim: 32, intermediateSize: 768, maxPositionEmbeddings: 2048, ropeTheta: 10_000, rmsNormEps: 1e-5,
        tieWordEmbeddings: false, dtype: "float32", bosTokenID: 0, eosTokenIDs: [0, 2])

    /// The dummy seed of the embedded default model's weights.
    public static let embeddedDefaultSeed: UInt64 = 0

    public var qSize: Int { numHeads * headDim }
    public var kvSize: Int { numKVHeads * headDim }
    /// The linear layers' dimensions (what a LoRA adapter must match).
    public var shape: ModelShape {
        ModelShape(
            numLayers: numLayers, hiddenSize: hiddenSize, intermediateSize: intermediateSize, qSize: qSize,
            kvSize: kvSize)
    }

    /// Parameters of the matrices one token passes through (every layer's projections and the LM head).
    public var matmulParameters: Int {
        let perLayer = hiddenSize * (qSize + 2 * kvSize) + qSize * hiddenSize + 3 * hiddenSize * intermediateSize
        return numLayers * perLayer + vocabSize * hiddenSize
    }

    /// Checks the shape invariants the forward pass relies on.
    public func validate(path: String = "config") throws(ModelLoadError) {
        func bad(_ why: String) -> ModelLoadError { .badConfig(path: path, reason: why) }
        for (name, v) in [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numLayers),
            ("num_attention_heads", numHeads), ("num_key_value_heads", numKVHeads),
            ("head_dim", headDim), ("intermediate_size", intermediateSize),
            ("max_position_embeddings", maxPositionEmbeddings),
        ] where v <= 0 {
            throw bad("\(name) must be positive, got \(v)")
        }
        guard numHeads % numKVHeads == 0 else {
            throw bad("num_attention_heads \(numHeads) is not a multiple of num_key_value_heads \(numKVHeads)")
        }
        guard headDim % 2 == 0 else { throw bad("head_dim must be even for RoPE, got \(headDim)") }
        guard ropeTheta > 0, rmsNormEps > 0 else { throw bad("rope_theta and rms_norm_eps must be positive") }
    }
}
