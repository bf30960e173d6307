import ServingCore

/// The Llama-family decoder (Llama, Qwen2, Mistral) over a paged KV cache; mirrors HF `LlamaForCausalLM`.
///
/// One `forward` runs a whole mixed batch: embedding → per layer (RMSNorm, fused QKV GEMM, RoPE, K/V write,
/// paged attention, O GEMM accumulated into the residual, RMSNorm, fused gate/up GEMM, SiLU·up, down GEMM
/// accumulated into the residual) → final RMSNorm and LM head on the `logitsIndices` rows only.
public final class LlamaModel: @unchecked Sendable {
    public let config: ModelConfig
    public let weights: LlamaWeights
    let rope: RotaryEmbedding
    var attention: PagedAttention
    let workspace: ForwardWorkspace

    /// `maxPositions` bounds the RoPE table (the runner's max_model_len).
    public init(weights: LlamaWeights, maxPositions: Int) {
        self.config = weights.config
        self.weights = weights
        rope = RotaryEmbedding(
            headDim: config.headDim, maxPositions: maxPositions, theta: config.ropeTheta,
            scaling: config.ropeScaling)
        attention = PagedAttention(config: config)
        workspace = ForwardWorkspace(config: config)
    }

    /// Runs the batch; returns `logitsIndices.count × vocab` logits, valid until the next call.
    ///
    /// Preconditions (checked by the runner before): token ids in the vocabulary, positions below
    /// `maxPositions`, slots and block tables inside `kvCache`.
    public func forward(
        inputIDs: [TokenID], positions: [Int32], metadata: AttentionMetadata, kvCache: KVCache,
        logitsIndices: [Int]
    ) -> UnsafeMutablePointer<Float> {
        let c = config
        let n = inputIDs.count
        let h = c.hiddenSize
        precondition(positions.count == n && metadata.numTokens == n, "batch of \(n) tokens is inconsistent")
        precondition(logitsIndices.count <= n, "more logits rows than tokens")
        workspace.reserve(tokens: n, logitsRows: logitsIndices.count)
        let w = workspace
        let hidden = w.hidden.pointer
        let normed = w.normed.pointer
        let qkv = w.qkv.pointer
        let qkvStride = c.qSize + 2 * c.kvSize
        let plan = attention.plan(metadata)
        w.reserveAttentionScratch(plan.threads * plan.scratchFloatsPerThread)
        for (t, id) in inputIDs.enumerated() {
            (hidden + t * h).update(from: weights.embedTokens.pointer + Int(id) * h, count: h)
        }
        for (l, layer) in weights.layers.enumerated() {
            Kernels.rmsNorm(hidden, weight: layer.inputNorm.pointer, out: normed, rows: n, dim: h, eps: c.rmsNormEps)
            Kernels.linear(normed, rows: n, inDim: h, weight: layer.qkv, bias: layer.qkvBias, out: qkv)
            for t in 0..<n {
                let row = qkv + t * qkvStride
                let p = Int(positions[t])
                rope.apply(row, numHeads: c.numHeads, position: p)
                rope.apply(row + c.qSize, numHeads: c.numKVHeads, position: p)
            }
            attention.writeKV(
                qkv: qkv, qkvStride: qkvStride, slotMapping: metadata.slotMapping,
                cacheK: kvCache.keys[l], cacheV: kvCache.values[l])
            attention.forward(
                qkv: qkv, qkvStride: qkvStride, metadata: metadata, blockSize: kvCache.blockSize,
                cacheK: kvCache.keys[l], cacheV: kvCache.values[l], out: w.attention.pointer,
                scratch: w.attentionScratch.pointer)
            Kernels.linear(w.attention.pointer, rows: n, inDim: c.qSize, weight: layer.o, out: hidden, accumulate: true)
            Kernels.rmsNorm(
                hidden, weight: layer.postAttentionNorm.pointer, out: normed, rows: n, dim: h,
                eps: c.rmsNormEps)
            Kernels.linear(normed, rows: n, inDim: h, weight: layer.gateUp, out: w.gateUp.pointer)
            Kernels.siluAndMul(w.gateUp.pointer, out: w.activation.pointer, rows: n, dim: c.intermediateSize)
            Kernels.linear(
                w.activation.pointer, rows: n, inDim: c.intermediateSize, weight: layer.down, out: hidden,
                accumulate: true)
        }
        // Final norm only on the rows whose logits are needed (gathered to the front of `normed`).
        for (row, t) in logitsIndices.enumerated() {
            Kernels.rmsNorm(
                hidden + t * h, weight: weights.norm.pointer, out: normed + row * h, rows: 1, dim: h,
                eps: c.rmsNormEps)
        }
        let logits = w.logits.pointer
        if !logitsIndices.isEmpty {
            Kernels.linear(normed, rows: logitsIndices.count, inDim: h, weight: weights.lmHead, out: logits)
        }
        return logits
    }

    /// Peak activation bytes (the workspace as grown so far).
    public var activationBytes: Int { workspace.byteCount }
}
