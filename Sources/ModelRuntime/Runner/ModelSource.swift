import Foundation
import ModelFiles

/// Where a runner's weights come from (`--model PATH`, `--load-format dummy`, or the embedded default).
public enum ModelSource: Sendable, Equatable {
    /// `ModelConfig.embeddedDefault` with dummy seed 0: starts instantly, identical everywhere.
    case embeddedDefault
    /// Random weights for `config` from `seed` (vLLM `--load-format dummy`).
    case dummy(ModelConfig, seed: UInt64)
    /// A Hugging Face directory: `config.json` plus `model.safetensors` or shards with an index.
    case directory(String)
    /// A GGUF file (llama.cpp's format): config, weights and tokenizer in one file.
    case gguf(String)

    /// `.gguf` for a file (GGUF is the one single-file format), `.directory` otherwise.
    public init(path: String) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        self = (exists && !isDirectory.boolValue) || path.hasSuffix(".gguf") ? .gguf(path) : .directory(path)
    }

    /// The model's config without loading weights (for `--load-format dummy` with a real model's shape).
    public func config() throws(ModelLoadError) -> ModelConfig {
        switch self {
        case .embeddedDefault: return .embeddedDefault
        case .dummy(let config, _): return config
        case .directory(let path): return try ModelConfig.load(directory: path)
        case .gguf(let path): return try ModelConfig(gguf: try Self.open(path))
        }
    }

    /// Loads (or generates) the weights of pipeline stage `stageIndex` of `stageCount` (default: the whole
    /// model), kept as `dtype` says; checkpoint problems are thrown naming the file and tensor.
    public func loadWeights(stageIndex: Int = 0, stageCount: Int = 1, dtype: WeightDType = .auto)
        throws(ModelLoadError) -> LlamaWeights
    {
        switch self {
        case .embeddedDefault:
            let config = ModelConfig.embeddedDefault
            let stage = try PipelineStage(index: stageIndex, of: stageCount, numLayers: config.numLayers)
            return LlamaWeights(dummyConfig: config, seed: ModelConfig.embeddedDefaultSeed, stage: stage, dtype: dtype)
        case .dummy(let config, let seed):
            try config.validate()
            let stage = try PipelineStage(index: stageIndex, of: stageCount, numLayers: config.numLayers)
            return LlamaWeights(dummyConfig: config, seed: seed, stage: stage, dtype: dtype)
        case .directory(let path):
            let config = try ModelConfig.load(directory: path)
            let stage = try PipelineStage(index: stageIndex, of: stageCount, numLayers: config.numLayers)
            return try LlamaWeights(
                config: config, checkpoint: try Checkpoint(directory: path), stage: stage, dtype: dtype)
        case .gguf(let path):
            let file = try Self.open(path)
            let config = try ModelConfig(gguf: file)
            let stage = try PipelineStage(index: stageIndex, of: stageCount, numLayers: config.numLayers)
            var source = GGUFSource(file: file, config: config)
            return try LlamaWeights(config: config, stage: stage, source: &source, dtype: dtype)
        }
    }

    private static func open(_ path: String) throws(ModelLoadError) -> GGUFFile {
        do {
            return try GGUFFile(path: path)
        } catch {
            throw .file(error)
        }
    }
}
