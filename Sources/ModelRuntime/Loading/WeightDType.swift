import ModelFiles

/// `--dtype` (vLLM's flag): the format weights are kept in. Compute and the KV cache stay f32.
///
/// - `auto`: as stored — f32 tensors stay f32, F16/BF16 stay 16-bit, GGUF quantized types stay quantized.
/// - `float32`: every weight expanded to f32 (for comparisons; 2–8× the memory and the bytes read per step).
/// - `float16` / `bfloat16`: f32 and 16-bit linear weights and embeddings converted to that type (rounded to
///   nearest even); quantized weights stay quantized.
public enum WeightDType: String, Sendable, CaseIterable {
    case auto, float32, float16, bfloat16

    /// The 16-bit type weights are converted to, for `float16` / `bfloat16`.
    var sixteenBitType: GGMLType? {
        switch self {
        case .float16: .f16
        case .bfloat16: .bf16
        case .auto, .float32: nil
        }
    }
}
