import ServingCore

/// What a tensor is for; decides the dummy initialisation.
enum WeightRole {
    case embedding, norm, bias
    case linear(fanIn: Int)
}

/// Where weights come from: a checkpoint or the dummy generator.
protocol WeightSource {
    mutating func fill(_ name: String, shape: [Int], role: WeightRole, into out: UnsafeMutablePointer<Float>)
        throws(ModelLoadError)
}

struct CheckpointSource: WeightSource {
    let checkpoint: Checkpoint
    mutating func fill(_ name: String, shape: [Int], role: WeightRole, into out: UnsafeMutablePointer<Float>)
        throws(ModelLoadError)
    {
        try checkpoint.read(name, shape: shape, into: out)
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
}
