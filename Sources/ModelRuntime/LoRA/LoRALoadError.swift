/// Why a LoRA adapter cannot be used with this model (docs/lora.md, "Adapter files"); every case names the file
/// and, where there is one, the tensor or field, with what was expected and what was found.
public enum LoRALoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `adapter_config.json` or `adapter_model.safetensors` is not in the adapter directory.
    case missingFile(path: String, note: String = "")
    /// A file exists but cannot be read or mapped.
    case io(path: String, reason: String)
    /// `adapter_config.json` is not JSON, or a field has the wrong type or an impossible value.
    case badConfig(file: String, reason: String)
    /// The config asks for something this runtime does not apply (DoRA, trained biases, modules_to_save …).
    case unsupported(file: String, field: String, reason: String)
    /// A target module the model lacks, or one LoRA is not applied to here (embed_tokens, lm_head).
    case unsupportedTargetModule(file: String, module: String, reason: String)
    /// The target modules match none of the model's projections.
    case noTargetModules(file: String)
    /// A module's rank is above the runner's `--max-lora-rank` (or not positive).
    case badRank(file: String, module: String, rank: Int, maxRank: Int)
    /// A layer index (of a tensor or of layers_to_transform) is not a layer of the model.
    case layerOutOfRange(file: String, name: String, layer: Int, numLayers: Int)
    /// The safetensors header itself or one entry of it is unusable.
    case badSafetensors(file: String, reason: String)
    /// A targeted module's lora_A or lora_B is not in the file.
    case missingTensor(file: String, tensor: String)
    /// The file holds a tensor that is not the lora_A or lora_B of a targeted module.
    case unexpectedTensor(file: String, tensor: String, reason: String)
    case wrongShape(file: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor's dtype is not F32, F16 or BF16.
    case badDType(file: String, tensor: String, dtype: String)

    public var description: String {
        switch self {
        case .missingFile(let path, let note):
            "LoRA adapter file \(path) not found" + (note.isEmpty ? "" : " (\(note))")
        case .io(let path, let reason): "cannot read LoRA adapter file \(path): \(reason)"
        case .badConfig(let file, let reason): "invalid LoRA adapter config \(file): \(reason)"
        case .unsupported(let file, let field, let reason): "\(file): \(field): \(reason)"
        case .unsupportedTargetModule(let file, let module, let reason):
            "\(file): target module '\(module)' \(reason)"
        case .noTargetModules(let file):
            "\(file): target_modules match none of the model's projections (\(LoRAModule.names))"
        case .badRank(let file, let module, let rank, let maxRank):
            "\(file): \(module) has rank \(rank), expected 1...\(maxRank) (--max-lora-rank \(maxRank))"
        case .layerOutOfRange(let file, let name, let layer, let numLayers):
            "\(file): \(name) names layer \(layer), but the model has \(numLayers) layers (0..<\(numLayers))"
        case .badSafetensors(let file, let reason): "invalid safetensors file \(file): \(reason)"
        case .missingTensor(let file, let tensor): "tensor '\(tensor)' not found in \(file)"
        case .unexpectedTensor(let file, let tensor, let reason): "unexpected tensor '\(tensor)' in \(file): \(reason)"
        case .wrongShape(let file, let tensor, let expected, let found):
            "tensor '\(tensor)' in \(file) has shape \(found), expected \(expected)"
        case .badDType(let file, let tensor, let dtype):
            "tensor '\(tensor)' in \(file) has dtype \(dtype), expected F32, F16 or BF16"
        }
    }
}
