/// Where a runner's weights come from (`--model PATH`, `--load-format dummy`, or the embedded default).
public enum ModelSource: Sendable, Equatable {
    /// `ModelConfig.embeddedDefault` with dummy seed 0: starts instantly, identical everywhere.
    case embeddedDefault
    /// Random weights for `config` from `seed` (vLLM `--load-format dummy`).
    case dummy(ModelConfig, seed: UInt64)
    /// A Hugging Face directory: `config.json` plus `model.safetensors` or shards with an index.
    case directory(String)

    /// Loads (or generates) the weights; checkpoint problems are thrown naming the file and tensor.
    public func loadWeights() throws(ModelLoadError) -> LlamaWeights {
        switch self {
        case .embeddedDefault:
            return LlamaWeights(dummyConfig: .embeddedDefault, seed: ModelConfig.embeddedDefaultSeed)
        case .dummy(let config, let seed):
            try config.validate()
            return LlamaWeights(dummyConfig: config, seed: seed)
        case .directory(let path):
            let config = try ModelConfig.load(directory: path)
            return try LlamaWeights(config: config, checkpoint: try Checkpoint(directory: path))
        }
    }
}
