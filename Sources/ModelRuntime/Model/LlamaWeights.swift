/// One decoder layer's weights, with q/k/v and gate/up fused row-wise so each is one GEMM; the linear weights
/// are packed for the GEMM kernel.
public struct LlamaLayerWeights: Sendable {
    public var inputNorm: Tensor  // [hidden]
    public var qkv: PackedMatrix  // [qSize + 2·kvSize, hidden]: q rows, then k, then v
    public var qkvBias: Tensor?  // [qSize + 2·kvSize]
    public var o: PackedMatrix  // [hidden, qSize]
    public var postAttentionNorm: Tensor  // [hidden]
    public var gateUp: PackedMatrix  // [2·intermediate, hidden]: gate rows, then up
    public var down: PackedMatrix  // [hidden, intermediate]
}

/// The weights of a Llama-family model (or of one pipeline stage of it) in f32: embeddings and norms laid out
/// like the checkpoint, linear weights (`[out, in]` in the checkpoint) packed for the GEMM kernel.
///
/// Field names follow the checkpoint (`model.layers.N.self_attn.q_proj.weight` …) so loading is one walk
/// over names; with `tie_word_embeddings` the LM head is a packed copy of the embedding (the lookup needs the
/// rows as stored, the GEMM the panels). A stage holds only
/// its layers (`layers[i]` is decoder layer `stage.layers.lowerBound + i`), the embedding only when it is the
/// first stage (or the last with tied embeddings), and the final norm and LM head only when it is the last.
public final class LlamaWeights: Sendable {
    public let config: ModelConfig
    public let stage: PipelineStage
    public let embedTokens: Tensor?  // [vocab, hidden]
    public let layers: [LlamaLayerWeights]
    public let norm: Tensor?  // [hidden]
    public let lmHead: PackedMatrix?  // [vocab, hidden]

    init(
        config: ModelConfig, stage: PipelineStage, embedTokens: Tensor?, layers: [LlamaLayerWeights], norm: Tensor?,
        lmHead: PackedMatrix?
    ) {
        self.config = config
        self.stage = stage
        self.embedTokens = embedTokens
        self.layers = layers
        self.norm = norm
        self.lmHead = lmHead
    }

    /// Bytes held.
    public var byteCount: Int {
        var total = (embedTokens?.byteCount ?? 0) + (norm?.byteCount ?? 0) + (lmHead?.byteCount ?? 0)
        for l in layers {
            total += l.inputNorm.byteCount + l.qkv.byteCount + (l.qkvBias?.byteCount ?? 0) + l.o.byteCount
            total += l.postAttentionNorm.byteCount + l.gateUp.byteCount + l.down.byteCount
        }
        return total
    }

    /// Loads and shape-checks every tensor the config implies for `stage` (default: the whole model) from
    /// `checkpoint`; tensors of other stages are not read.
    public convenience init(config c: ModelConfig, checkpoint: Checkpoint, stage: PipelineStage? = nil)
        throws(ModelLoadError)
    {
        var source = CheckpointSource(checkpoint: checkpoint)
        try self.init(config: c, stage: stage ?? .whole(numLayers: c.numLayers), source: &source)
    }

    /// Random weights from `seed` (`--load-format dummy`): linear weights uniform with std 1/√fan_in, embeddings
    /// std 1, norms 1, biases std 0.02. Identical on every machine, and every stage of a split gets exactly the
    /// tensors the whole model has (each tensor's values depend only on the seed and its name).
    public convenience init(dummyConfig c: ModelConfig, seed: UInt64, stage: PipelineStage? = nil) {
        var source = DummySource(seed: seed)
        // NOTE: the dummy source never throws.
        try! self.init(config: c, stage: stage ?? .whole(numLayers: c.numLayers), source: &source)
    }

    private convenience init<S: WeightSource>(config c: ModelConfig, stage: PipelineStage, source: inout S)
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
        func linear(_ name: String, _ shape: [Int], fanIn: Int) throws(ModelLoadError) -> PackedMatrix {
            PackedMatrix(packing: try one(name, shape, role: .linear(fanIn: fanIn)))
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
        let needsEmbedding = stage.isFirst || (stage.isLast && c.tieWordEmbeddings)
        let embed = needsEmbedding ? try one("model.embed_tokens.weight", [c.vocabSize, h], role: .embedding) : nil
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
                    qkv: PackedMatrix(
                        packing: try fused(
                            [
                                (a + "q_proj.weight", [q, h]), (a + "k_proj.weight", [kv, h]),
                                (a + "v_proj.weight", [kv, h]),
                            ], role: .linear(fanIn: h))),
                    qkvBias: bias,
                    o: try linear(a + "o_proj.weight", [h, q], fanIn: q),
                    postAttentionNorm: try one(p + "post_attention_layernorm.weight", [h], role: .norm),
                    gateUp: PackedMatrix(
                        packing: try fused(
                            [(p + "mlp.gate_proj.weight", [i, h]), (p + "mlp.up_proj.weight", [i, h])],
                            role: .linear(fanIn: h))),
                    down: try linear(p + "mlp.down_proj.weight", [h, i], fanIn: i)))
        }
        var norm: Tensor?
        var head: PackedMatrix?
        if stage.isLast {
            norm = try one("model.norm.weight", [h], role: .norm)
            head =
                c.tieWordEmbeddings
                ? embed.map(PackedMatrix.init(packing:)) : try linear("lm_head.weight", [c.vocabSize, h], fanIn: h)
        }
        self.init(
            config: c, stage: stage, embedTokens: stage.isFirst ? embed : nil, layers: layers, norm: norm,
            lmHead: head)
    }
}
