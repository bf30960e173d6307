/// The decoder architectures this runtime implements (all Llama-shaped: RMSNorm, RoPE, GQA, SiLU-gated MLP).
public enum ModelArchitecture: String, Sendable, CaseIterable, Codable {
    case llama = "LlamaForCausalLM"
    case qwen2 = "Qwen2ForCausalLM"
    case mistral = "MistralForCausalLM"
}
