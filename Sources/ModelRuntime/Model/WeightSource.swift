import ModelFiles
import ServingCore

/// What a tensor is for; decides the dummy initialisation.
enum WeightRole {
    case embedding, norm, bias
    case linear(fanIn: Int)
}

/// Where weights come from: a safetensors checkpoint, a GGUF file or the dummy generator. Names are Hugging Face
/// checkpoint names (`model.layers.0.self_attn.q_proj.weight`); shapes are PyTorch's (`[out, in]`).
protocol WeightSource {
    /// Writes tensor `name` as f32 to `out` after checking its shape (any stored type is converted).
    mutating func fill(_ name: String, shape: [Int], role: WeightRole, into out: UnsafeMutablePointer<Float>)
        throws(ModelLoadError)

    /// Tensor `name` in its stored format when that is not f32 (a quantized GGUF type, F16, BF16); nil when the
    /// source holds or makes f32 values.
    mutating func stored(_ name: String, shape: [Int]) throws(ModelLoadError) -> QuantizedMatrix?
}

struct CheckpointSource: WeightSource {
    let checkpoint: Checkpoint
    mutating func fill(_ name: String, shape: [Int], role: WeightRole, into out: UnsafeMutablePointer<Float>)
        throws(ModelLoadError)
    {
        try checkpoint.read(name, shape: shape, into: out)
    }

    mutating func stored(_ name: String, shape: [Int]) throws(ModelLoadError) -> QuantizedMatrix? {
        try checkpoint.stored(name, shape: shape)
    }
}

struct DummySource: WeightSource {
    let seed: UInt64
    mutating func fill(_ name: String, shape: [Int], role: WeightRole, into out: UnsafeMutablePointer<Float>) {
        let n = shape.reduce(1, *)
        var rng = SplitMix64(seed: SplitMix64.tensorSeed(seed, name: name))
        switch role {
        case .norm: out.update(repeating: 1, count: n)
        case .embedding: rng.fillUniform(out, count: n, std: 1)
        case .bias: rng.fillUniform(out, count: n, std: 0.02)
        case .linear(let fanIn): rng.fillUniform(out, count: n, std: 1 / Float(fanIn).squareRoot())
        }
    }

    func stored(_ name: String, shape: [Int]) -> QuantizedMatrix? { nil }
}
