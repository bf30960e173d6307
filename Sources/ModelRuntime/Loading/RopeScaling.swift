/// How RoPE frequencies are rescaled for long context (`rope_scaling` / `rope_parameters`).
public enum RopeScaling: Sendable, Equatable {
    case none
    /// Positions divided by `factor` (equivalently, every frequency).
    case linear(factor: Double)
    /// Llama 3.1's piecewise scaling of low and medium frequencies.
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositionEmbeddings: Int)
    /// Each inverse frequency divided by its own factor: GGUF files of Llama 3.1+ store llama3 scaling this way
    /// (the `rope_freqs.weight` tensor, `headDim / 2` factors).
    case frequencyFactors([Float])
}
