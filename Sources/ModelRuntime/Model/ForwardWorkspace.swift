/// Activation buffers reused across steps; they only grow, so a steady decode loop allocates nothing.
final class ForwardWorkspace {
    private(set) var tokenCapacity = 0
    private(set) var mlpCapacity = 0
    private(set) var logitsCapacity = 0
    private(set) var hidden = FloatBuffer(count: 0)
    /// The normed input of a projection, and in between the attention output (`max(hidden, qSize)` per row): the
    /// normed rows are dead once q/k/v are projected, so one buffer serves both.
    private(set) var normed = FloatBuffer(count: 0)
    private(set) var qkv = FloatBuffer(count: 0)
    private(set) var gateUp = FloatBuffer(count: 0)
    private(set) var activation = FloatBuffer(count: 0)
    private(set) var logits = FloatBuffer(count: 0)
    private(set) var attentionScratch = FloatBuffer(count: 0)
    let config: ModelConfig

    init(config: ModelConfig) { self.config = config }

    /// Makes room for `tokens` rows of activations, `mlpTokens` of them in the MLP at once.
    func reserve(tokens: Int, mlpTokens: Int) {
        let c = config
        if tokens > tokenCapacity {
            tokenCapacity = tokens
            hidden = FloatBuffer(count: tokens * c.hiddenSize, zeroed: false)
            normed = FloatBuffer(count: tokens * max(c.hiddenSize, c.qSize), zeroed: false)
            qkv = FloatBuffer(count: tokens * (c.qSize + 2 * c.kvSize), zeroed: false)
        }
        if mlpTokens > mlpCapacity {
            mlpCapacity = mlpTokens
            gateUp = FloatBuffer(count: mlpTokens * 2 * c.intermediateSize, zeroed: false)
            activation = FloatBuffer(count: mlpTokens * c.intermediateSize, zeroed: false)
        }
    }

    /// Makes room for `logitsRows` rows of logits.
    func reserve(logitsRows: Int) {
        if logitsRows > logitsCapacity {
            logitsCapacity = logitsRows
            logits = FloatBuffer(count: logitsRows * config.vocabSize, zeroed: false)
        }
    }

    /// Grows the attention scratch to at least `floats`.
    func reserveAttentionScratch(_ floats: Int) {
        if floats > attentionScratch.count { attentionScratch = FloatBuffer(count: floats, zeroed: false) }
    }

    /// Bytes held now: the peak activation memory of the largest step seen.
    var byteCount: Int {
        [hidden, normed, qkv, gateUp, activation, logits, attentionScratch].reduce(0) { $0 + $1.byteCount }
    }
}
