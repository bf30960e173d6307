/// One decoder layer's weights, with q/k/v and gate/up stacked row-wise so each is one matmul.
public struct LlamaLayerWeights: Sendable {
    public var inputNorm: Tensor  // [hidden]
    public var qkv: LinearWeight  // [qSize + 2·kvSize, hidden]: q rows, then k, then v
    public var qkvBias: Tensor?  // [qSize + 2·kvSize]
    /// Qwen3's RMSNorm over each head of q and of k, before RoPE (`[headDim]` each).
    public var qNorm: Tensor?
    public var kNorm: Tensor?
    public var o: LinearWeight  // [hidden, qSize]
    public var postAttentionNorm: Tensor  // [hidden]
    public var gateUp: LinearWeight  // [2·intermediate, hidden]: gate rows, then up
    public var down: LinearWeight  // [hidden, intermediate]
}

/// The weights of a Llama-family model (or of one pipeline stage of it): norms and biases in f32, linear weights
/// packed f32 or kept as stored (`--dtype`, docs/models.md), the embedding table looked up row by row.
///
/// Loading walks Hugging Face checkpoint names (`model.layers.N.self_attn.q_proj.weight` …); a GGUF source maps
/// them onto the file's names. With `tie_word_embeddings` the LM head is the embedding: a packed copy for f32 (the
/// lookup needs the rows as stored, the GEMM the panels), the same stored matrix otherwise. A stage holds only
/// its layers (`layers[i]` is decoder layer `stage.layers.lowerBound + i`), the embedding only when it is the
/// first stage (or the last with tied embeddings), and the final norm and LM head only when it is the last.
public final class LlamaWeights: Sendable {
    public let config: ModelConfig
    public let stage: PipelineStage
    public let embedTokens: EmbeddingTable?  // [vocab, hidden]
    public let layers: [LlamaLayerWeights]
    public let norm: Tensor?  // [hidden]
    public let lmHead: LinearWeight?  // [vocab, hidden]

    init(
        config: ModelConfig, stage: PipelineStage, embedTokens: EmbeddingTable?, layers: [LlamaLayerWeights],
        norm: Tensor?, lmHead: LinearWeight?
    ) {
        self.config = config
        self.stage = stage
        self.embedTokens = embedTokens
        self.layers = layers
        self.norm = norm
        self.lmHead = lmHead
    }

    /// Bytes held (a stored LM head tied to the embedding counted once).
    public var byteCount: Int {
        var total = (embedTokens?.byteCount ?? 0) + (norm?.byteCount ?? 0)
        if let head = lmHead, !(config.tieWordEmbeddings && head.parts.allSatisfy(\.isStored) && embedTokens != nil) {
            total += head.byteCount
        }
        for l in layers {
            total += l.inputNorm.byteCount + l.qkv.byteCount + (l.qkvBias?.byteCount ?? 0) + l.o.byteCount
            total += (l.qNorm?.byteCount ?? 0) + (l.kNorm?.byteCount ?? 0)
            total += l.postAttentionNorm.byteCount + l.gateUp.byteCount + l.down.byteCount
        }
        return total
    }

    /// The weights one decode step multiplies with: every layer's linear weights, then the LM head.
    public var matmulWeights: [LinearWeight] {
        layers.flatMap { [$0.qkv, $0.o, $0.gateUp, $0.down] } + (lmHead.map { [$0] } ?? [])
    }

    /// Bytes of weights one decode step reads.
    public var matmulBytes: Int { matmulWeights.reduce(0) { $0 + $1.byteCount } }

    /// Loads and shape-checks every tensor the config implies for `stage` (default: the whole model) from
    /// `checkpoint`; tensors of other stages are not read.
    public convenience init(
        config c: ModelConfig, checkpoint: Checkpoint, stage: PipelineStage? = nil, dtype: WeightDType = .auto
    ) throws(ModelLoadError) {
        var source = CheckpointSource(checkpoint: checkpoint)
        try self.init(config: c, stage: stage ?? .whole(numLayers: c.numLayers), source: &source, dtype: dtype)
    }

    /// Random weights from `seed` (`--load-format dummy`): linear weights uniform with std 1/√fan_in, embeddings
    /// std 1, norms 1, biases std 0.02. Identical on every machine, and every stage of a split gets exactly the
    /// tensors the whole model has (each tensor's values depend only on the seed and its name).
    public convenience init(dummyConfig c: ModelConfig, seed: UInt64, stage: PipelineStage? = nil, dtype: WeightDType = .auto) {
        var source = DummySource(seed: seed)
        // NOTE: the dummy source never throws.
        try! self.init(config: c, stage: stage ?? .whole(numLayers: c.numLayers), source: &source, dtype: dtype)
    }

    convenience init<S: WeightSource>(config c: ModelConfig, stage: PipelineStage, source: inout S, dtype: WeightDType)
        throws(ModelLoadError)
    {
        let h = c.hiddenSize
        let i = c.intermediateSize
        let q = c.qSize
        let kv = c.kvSize
        func one(_ name: String, _ shape: [Int], role: WeightRole) throws(ModelLoadError) -> Tensor {
            let t = Tensor(shape: shape)
            try source.fill(name, shape: shape, role: role, into: t.pointer)
            return t
        }
        /// Fills consecutive row blocks of one fused tensor from several checkpoint tensors.
        func fused(_ parts: [(String, [Int])], role: WeightRole) throws(ModelLoadError) -> Tensor {
            let rows = parts.reduce(0) { $0 + $1.1[0] }
            let t = Tensor(shape: parts[0].1.count == 2 ? [rows, parts[0].1[1]] : [rows])
            var offset = 0
            for (name, shape) in parts {
                try source.fill(name, shape: shape, role: role, into: t.pointer + offset)
                offset += shape.reduce(1, *)
            }
            return t
        }
        /// One linear weight from the row blocks `parts`: fused into one packed f32 matrix when every part is f32
        /// and stays so, else one part per tensor in its kept format.
        func linear(_ parts: [(String, [Int])], fanIn: Int) throws(ModelLoadError) -> LinearWeight {
            let role = WeightRole.linear(fanIn: fanIn)
            var stored: [QuantizedMatrix?] = Array(repeating: nil, count: parts.count)
            if dtype != .float32 {
                for (k, (name, shape)) in parts.enumerated() { stored[k] = try source.stored(name, shape: shape) }
            }
            guard dtype.sixteenBitType != nil || stored.contains(where: { $0 != nil }) else {
                return LinearWeight(PackedMatrix(packing: try fused(parts, role: role)))
            }
            var kept: [LinearWeight.Part] = []
            for (k, (name, shape)) in parts.enumerated() {
                if let matrix = stored[k] {
                    let sixteen = dtype.sixteenBitType
                    let convert = sixteen != nil && (matrix.type == .f16 || matrix.type == .bf16)
                    kept.append(.stored(convert ? matrix.converted(to: sixteen!) : matrix))
                } else if let sixteen = dtype.sixteenBitType {
                    kept.append(.stored(.converting(try one(name, shape, role: role), to: sixteen)))
                } else {
                    kept.append(.packed(PackedMatrix(packing: try one(name, shape, role: role))))
                }
            }
            return LinearWeight(parts: kept)
        }
        func embedding(_ name: String) throws(ModelLoadError) -> EmbeddingTable {
            let shape = [c.vocabSize, h]
            if dtype != .float32, let matrix = try source.stored(name, shape: shape) {
                let sixteen = dtype.sixteenBitType
                let convert = sixteen != nil && (matrix.type == .f16 || matrix.type == .bf16)
                return .stored(convert ? matrix.converted(to: sixteen!) : matrix)
            }
            let table = try one(name, shape, role: .embedding)
            if let sixteen = dtype.sixteenBitType { return .stored(.converting(table, to: sixteen)) }
            return .f32(table)
        }

        let needsEmbedding = stage.isFirst || (stage.isLast && c.tieWordEmbeddings)
        let embed = needsEmbedding ? try embedding("model.embed_tokens.weight") : nil
        var layers: [LlamaLayerWeights] = []
        for l in stage.layers {
            let p = "model.layers.\(l)."
            let a = p + "self_attn."
            let bias: Tensor? =
                c.attentionBias
                ? try fused(
                    [(a + "q_proj.bias", [q]), (a + "k_proj.bias", [kv]), (a + "v_proj.bias", [kv])], role: .bias)
                : nil
            layers.append(
                LlamaLayerWeights(
                    inputNorm: try one(p + "input_layernorm.weight", [h], role: .norm),
                    qkv: try linear(
                        [(a + "q_proj.weight", [q, h]), (a + "k_proj.weight", [kv, h]), (a + "v_proj.weight", [kv, h])],
                        fanIn: h),
                    qkvBias: bias,
                    qNorm: c.qkNorm ? try one(a + "q_norm.weight", [c.headDim], role: .norm) : nil,
                    kNorm: c.qkNorm ? try one(a + "k_norm.weight", [c.headDim], role: .norm) : nil,
                    o: try linear([(a + "o_proj.weight", [h, q])], fanIn: q),
                    postAttentionNorm: try one(p + "post_attention_layernorm.weight", [h], role: .norm),
                    gateUp: try linear(
                        [(p + "mlp.gate_proj.weight", [i, h]), (p + "mlp.up_proj.weight", [i, h])], fanIn: h),
                    down: try linear([(p + "mlp.down_proj.weight", [h, i])], fanIn: i)))
        }
        var norm: Tensor?
        var head: LinearWeight?
        if stage.isLast {
            norm = try one("model.norm.weight", [h], role: .norm)
            switch (c.tieWordEmbeddings, embed) {
            case (true, .f32(let table)?): head = LinearWeight(PackedMatrix(packing: table))
            case (true, .stored(let matrix)?): head = LinearWeight(parts: [.stored(matrix)])
            default: head = try linear([("lm_head.weight", [c.vocabSize, h])], fanIn: h)
            }
            // The sampled token is decided here: precise activations (measured on SmolLM2 Q4_1, "What is the capital
            // of France?": with int8 activations llama.cpp puts "L" 0.088 above "The" and Apus chose "L" too; f32 math
            // puts "The" 0.082 above "L", as transformers does).
            head?.preciseActivations = true
        }
        self.init(
            config: c, stage: stage, embedTokens: stage.isFirst ? embed : nil, layers: layers, norm: norm,
            lmHead: head)
    }
}

extension LinearWeight.Part {
    var isStored: Bool {
        if case .stored = self { return true }
        return false
    }
}
