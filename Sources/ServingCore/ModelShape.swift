/// The dimensions of a Llama-family model's linear layers: what a LoRA adapter's matrices must match
/// (docs/lora.md). q_proj maps `hiddenSize → qSize`, k_proj and v_proj `hiddenSize → kvSize`, o_proj
/// `qSize → hiddenSize`, gate_proj and up_proj `hiddenSize → intermediateSize`, down_proj back.
public struct ModelShape: Sendable, Hashable {
    public var numLayers: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var qSize: Int
    public var kvSize: Int

    public init(numLayers: Int, hiddenSize: Int, intermediateSize: Int, qSize: Int, kvSize: Int) {
        self.numLayers = numLayers
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.qSize = qSize
        self.kvSize = kvSize
    }
}
