import ServingCore

/// The Llama-family decoder (Llama, Qwen2, Qwen3, Mistral) over a paged KV cache; mirrors HF `LlamaForCausalLM`.
///
/// One `forward` runs a whole mixed batch: embedding → per layer (RMSNorm, fused QKV matmul, Qwen3's per-head
/// RMSNorm of q and k, RoPE, K/V write, paged attention, O matmul accumulated into the residual, RMSNorm, fused
/// gate/up matmul, SiLU·up, down matmul accumulated into the residual) → final RMSNorm and LM head on the
/// `logitsIndices` rows only. Each matmul runs the kernel of its weight's format (`Kernels.linear(…LinearWeight…)`).
///
/// With a `LoRAMapping`, each adapted projection's low-rank update is added to its rows right after the base
/// matmul of the whole batch (docs/lora.md): q/k/v and gate/up into their columns of the fused rows, before
/// Qwen3's q/k norm, RoPE and SiLU·up; o and down into the residual, as their base matmul.
public final class LlamaModel: @unchecked Sendable {
    public let config: ModelConfig
    public let weights: LlamaWeights
    let rope: RotaryEmbedding
    var attention: PagedAttention
    let workspace: ForwardWorkspace
    /// Logits rows per `logits(rows:)` call of the runner: as many as fit in 8 MiB, and at least 32 (a decode batch
    /// of 32 reads the LM head once).
    public var logitsChunkRows: Int

    /// `maxPositions` bounds the RoPE table (the runner's max_model_len).
    public init(weights: LlamaWeights, maxPositions: Int) {
        self.config = weights.config
        self.weights = weights
        rope = RotaryEmbedding(
            headDim: config.headDim, maxPositions: maxPositions, theta: config.ropeTheta,
            scaling: config.ropeScaling)
        attention = PagedAttention(config: config)
        workspace = ForwardWorkspace(config: config)
        logitsChunkRows = max(32, (8 << 20) / (4 * config.vocabSize))
    }

    /// Runs the batch through this stage's layers and returns all `logitsIndices.count × vocab` logits of the last
    /// stage at once, or an earlier stage's hidden states (`forwardLayers`); the tests' and small batches' form.
    public func forward(
        inputIDs: [TokenID], positions: [Int32], metadata: AttentionMetadata, kvCache: KVCache,
        logitsIndices: [Int], inputHidden: UnsafePointer<Float>? = nil, lora: LoRAMapping? = nil
    ) -> UnsafeMutablePointer<Float> {
        let hidden = forwardLayers(
            inputIDs: inputIDs, positions: positions, metadata: metadata, kvCache: kvCache,
            logitsIndices: logitsIndices, inputHidden: inputHidden, lora: lora)
        guard weights.lmHead != nil, !logitsIndices.isEmpty else { return hidden }
        return logits(rows: 0..<logitsIndices.count)
    }

    /// Runs the batch through this stage's layers and returns the `n × hidden` hidden states (an earlier stage's
    /// output for the next stage). On the last stage the `logitsIndices` rows are also final-normed, gathered in
    /// that order, for `logits(rows:)`. Both stay valid until the next call.
    ///
    /// The first stage embeds `inputIDs`; a later stage starts from `inputHidden` (`n × hidden`, the previous
    /// stage's output) and ignores the ids. `kvCache` holds this stage's layers only.
    ///
    /// `lora` (nil or empty: the base model alone, exactly as without it) gives rows their adapters, loaded for
    /// this stage's layers.
    ///
    /// Preconditions (checked by the runner before): token ids in the vocabulary, positions below
    /// `maxPositions`, slots and block tables inside `kvCache`, `inputHidden` given exactly when not first.
    public func forwardLayers(
        inputIDs: [TokenID], positions: [Int32], metadata: AttentionMetadata, kvCache: KVCache,
        logitsIndices: [Int], inputHidden: UnsafePointer<Float>? = nil, lora: LoRAMapping? = nil
    ) -> UnsafeMutablePointer<Float> {
        let c = config
        let n = inputIDs.count
        let h = c.hiddenSize
        precondition(positions.count == n && metadata.numTokens == n, "batch of \(n) tokens is inconsistent")
        precondition(logitsIndices.count <= n, "more logits rows than tokens")
        let lora = lora?.isEmpty == false ? lora : nil
        if let lora {
            precondition(lora.numTokens == n, "a LoRA mapping of \(lora.numTokens) rows for \(n) tokens")
            precondition(
                lora.adapters.allSatisfy { $0.layers == weights.stage.layers },
                "a LoRA adapter loaded for other layers than this stage's")
        }
        workspace.reserve(tokens: n, mlpTokens: min(n, Self.mlpChunkTokens))
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
            lora?.apply(.qkv, layer: l, x: normed, ldx: h, y: qkv, ldy: qkvStride, rows: 0..<n)
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
                cacheK: kvCache.keys[l], cacheV: kvCache.values[l], out: normed,
                scratch: w.attentionScratch.pointer)
            Kernels.linear(normed, rows: n, inDim: c.qSize, weight: layer.o, out: hidden, accumulate: true)
            lora?.apply(.o, layer: l, x: normed, ldx: c.qSize, y: hidden, ldy: h, rows: 0..<n)
            Kernels.rmsNorm(
                hidden, weight: layer.postAttentionNorm.pointer, out: normed, rows: n, dim: h,
                eps: c.rmsNormEps)
            // The MLP in chunks of tokens: its buffers (3 × intermediate floats per token) would otherwise be the
            // largest activations of a long prefill; a chunk of 256 rows keeps the GEMMs at full speed.
            for start in stride(from: 0, to: n, by: Self.mlpChunkTokens) {
                let rows = min(Self.mlpChunkTokens, n - start)
                Kernels.linear(normed + start * h, rows: rows, inDim: h, weight: layer.gateUp, out: w.gateUp.pointer)
                lora?.apply(
                    .gateUp, layer: l, x: normed + start * h, ldx: h, y: w.gateUp.pointer, ldy: 2 * c.intermediateSize,
                    rows: start..<start + rows)
                Kernels.siluAndMul(w.gateUp.pointer, out: w.activation.pointer, rows: rows, dim: c.intermediateSize)
                Kernels.linear(
                    w.activation.pointer, rows: rows, inDim: c.intermediateSize, weight: layer.down,
                    out: hidden + start * h, accumulate: true)
                lora?.apply(
                    .down, layer: l, x: w.activation.pointer, ldx: c.intermediateSize, y: hidden + start * h, ldy: h,
                    rows: start..<start + rows)
            }
        }
        guard let finalNorm = weights.norm, weights.lmHead != nil else { return hidden }
        // Final norm only on the rows whose logits are needed (gathered to the front of `normed`).
        for (row, t) in logitsIndices.enumerated() {
            Kernels.rmsNorm(
                hidden + t * h, weight: finalNorm.pointer, out: normed + row * h, rows: 1, dim: h,
                eps: c.rmsNormEps)
        }
        return hidden
    }

    /// Logits of the gathered rows `rows` of the last `forwardLayers` call (`rows.count × vocab`), valid until the
    /// next call. Callers with many rows take them `logitsChunkRows` at a time, so the logits buffer stays small.
    public func logits(rows: Range<Int>) -> UnsafeMutablePointer<Float> {
        guard let lmHead = weights.lmHead else { preconditionFailure("logits on a stage without the LM head") }
        precondition(rows.upperBound <= workspace.tokenCapacity, "logits rows \(rows) past the last forward")
        workspace.reserve(logitsRows: rows.count)
        let h = config.hiddenSize
        if !rows.isEmpty {
            Kernels.linear(
                workspace.normed.pointer + rows.lowerBound * h, rows: rows.count, inDim: h, weight: lmHead,
                out: workspace.logits.pointer)
        }
        return workspace.logits.pointer
    }

    /// Tokens per chunk of the MLP.
    static let mlpChunkTokens = 256


    /// Peak activation bytes (the workspace as grown so far).
    public var activationBytes: Int { workspace.byteCount }
}
