/// Where a runner's weights come from (`--model PATH`, `--load-format dummy`, or the embedded default).
public enum ModelSource: Sendable, Equatable {
    /// `ModelConfig.embeddedDefault` with dummy seed 0: starts instantly, identical everywhere.
    case embeddedDefault
    /// Random weights for `config` from `seed` (vLLM `--load-format dummy`).
    case dummy(ModelConfig, seed: UInt64)
    /// A Hugging Face directory: `config.json` plus `model.safetensors` or shards with an index.
    case directory(String)

    /// Loads (or generates) the weights of pipeline stage `stageIndex` of `stageCount` (default: the whole
    /// model); checkpoint problems are thrown naming the file and tensor.
    public func loadWeights(stageIndex: Int = 0, stageCount: Int = 1) throws(ModelLoadError) -> LlamaWeights {
        switch self {
        case .embeddedDefault:
            let config = ModelConfig.embeddedDefault
            let stage = try PipelineStage(index: stageIndex, of: stageCount, numLayers: config.numLayers)
            return LlamaWeights(dummyConfig: config, seed: ModelConfig.embeddedDefaultSeed, stage: stage)
        case .dummy(let config, let seed):
            try config.validate()
            let stage = try PipelineStage(index: stageIndex, of: stageCount, numLayers: config.numLayers)
            return LlamaWeights(dummyConfig: config, seed: seed, stage: stage)
        case .directory(let path):
            let config = try ModelConfig.load(directory: path)
            let stage = try PipelineStage(index: stageIndex, of: stageCount, numLayers: config.numLayers)
            return try LlamaWeights(config: config, checkpoint: try Checkpoint(directory: path), stage: stage)
        }
    }
}
