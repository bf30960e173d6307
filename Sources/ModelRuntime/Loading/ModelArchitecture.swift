/// The decoder architectures this runtime implements (all Llama-shaped: RMSNorm, RoPE, GQA, SiLU-gated MLP).
public enum ModelArchitecture: String, Sendable, CaseIterable, Codable {
    case llama = "LlamaForCausalLM"
    case qwen2 = "Qwen2ForCausalLM"
    /// Qwen2 without q/k/v biases, with an RMSNorm over each head of q and k before RoPE.
    case qwen3 = "Qwen3ForCausalLM"
    case mistral = "MistralForCausalLM"
}
