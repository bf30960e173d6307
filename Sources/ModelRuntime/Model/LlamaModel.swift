import ServingCore

/// The Llama-family decoder (Llama, Qwen2, Qwen3, Mistral) over a paged KV cache; mirrors HF `LlamaForCausalLM`.
///
/// One `forward` runs a whole mixed batch: embedding → per layer (RMSNorm, fused QKV matmul, Qwen3's per-head
/// RMSNorm of q and k, RoPE, K/V write, paged attention, O matmul accumulated into the residual, RMSNorm, fused
/// gate/up matmul, SiLU·up, down matmul accumulated into the residual) → final RMSNorm and LM head on the
/// `logitsIndices` rows only. Each matmul runs the kernel of its weight's format (`Kernels.linear(…LinearWeight…)`).
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

    /// Runs the batch through this stage's layers. The last stage (the whole model included) returns
    /// `logitsIndices.count × vocab` logits; an earlier stage returns the `n × hidden` hidden states for the next
    /// stage. Both are valid until the next call.
    ///
    /// The first stage embeds `inputIDs`; a later stage starts from `inputHidden` (`n × hidden`, the previous
    /// stage's output) and ignores the ids. `kvCache` holds this stage's layers only.
    ///
    /// Preconditions (checked by the runner before): token ids in the vocabulary, positions below
    /// `maxPositions`, slots and block tables inside `kvCache`, `inputHidden` given exactly when not first.
    public func forward(
        inputIDs: [TokenID], positions: [Int32], metadata: AttentionMetadata, kvCache: KVCache,
        logitsIndices: [Int], inputHidden: UnsafePointer<Float>? = nil
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
        if let embed = weights.embedTokens {
            for (t, id) in inputIDs.enumerated() { embed.lookup(Int(id), hidden: h, into: hidden + t * h) }
        } else {
            precondition(inputHidden != nil, "a later pipeline stage needs the previous stage's hidden states")
            hidden.update(from: inputHidden!, count: n * h)
        }
        for (l, layer) in weights.layers.enumerated() {
            Kernels.rmsNorm(hidden, weight: layer.inputNorm.pointer, out: normed, rows: n, dim: h, eps: c.rmsNormEps)
            Kernels.linear(normed, rows: n, inDim: h, weight: layer.qkv, bias: layer.qkvBias, out: qkv)
            for t in 0..<n {
                let row = qkv + t * qkvStride
                if let qNorm = layer.qNorm, let kNorm = layer.kNorm {
                    Kernels.rmsNorm(
                        row, weight: qNorm.pointer, out: row, rows: c.numHeads, dim: c.headDim, eps: c.rmsNormEps)
                    Kernels.rmsNorm(
                        row + c.qSize, weight: kNorm.pointer, out: row + c.qSize, rows: c.numKVHeads, dim: c.headDim,
                        eps: c.rmsNormEps)
                }
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
        guard let finalNorm = weights.norm, let lmHead = weights.lmHead else { return hidden }
        // Final norm only on the rows whose logits are needed (gathered to the front of `normed`).
        for (row, t) in logitsIndices.enumerated() {
            Kernels.rmsNorm(
                hidden + t * h, weight: finalNorm.pointer, out: normed + row * h, rows: 1, dim: h,
                eps: c.rmsNormEps)
        }
        let logits = w.logits.pointer
        if !logitsIndices.isEmpty {
            Kernels.linear(normed, rows: logitsIndices.count, inDim: h, weight: lmHead, out: logits)
        }
        return logits
    }

    /// Peak activation bytes (the workspace as grown so far).
    public var activationBytes: Int { workspace.byteCount }
}
