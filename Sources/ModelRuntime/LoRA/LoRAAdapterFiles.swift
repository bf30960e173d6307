import Foundation
import ServingCore

/// An adapter directory opened and checked against one model without reading a weight: the checks that
/// `LoRAAdapter.validate` (the api, at load time) and the runner's load share, so both refuse the same files.
///
/// Checked: the config (`PEFTLoRAConfig`, its targets and ranks), the safetensors header, and every tensor in it:
/// each is the lora_A `[rank, in]` or lora_B `[out, rank]` of a targeted module, stored F32, F16 or BF16, and every
/// targeted module has both.
struct LoRAAdapterFiles {
    static let configName = "adapter_config.json"
    static let weightsName = "adapter_model.safetensors"
    /// The prefix PEFT's `save_pretrained` puts before module keys (`base_model.model.model.layers.0…`).
    static let tensorPrefix = "base_model.model."

    let info: LoRAAdapterInfo
    let weights: SafetensorsFile
    /// The lora_A and lora_B tensor names of each of `info.targets`, in that order.
    let tensorNames: [(a: String, b: String)]

    init(directory: String, shape: ModelShape, maxRank: Int) throws(LoRALoadError) {
        let dir = URL(fileURLWithPath: directory)
        let configPath = dir.appendingPathComponent(Self.configName).path
        let config = try PEFTLoRAConfig(path: configPath)
        let targets = try config.targets(numLayers: shape.numLayers, maxRank: maxRank, file: configPath)
        let weightsPath = dir.appendingPathComponent(Self.weightsName).path
        weights = try Self.open(weightsPath, directory: dir)
        var found: [String: (a: String?, b: String?)] = [:]
        let byKey = Dictionary(uniqueKeysWithValues: targets.map { ($0.module.key(layer: $0.layer), $0) })
        for name in weights.entries.keys.sorted() {
            let (key, isA) = try Self.classify(name, file: weightsPath, numLayers: shape.numLayers)
            guard let target = byKey[key] else {
                throw .unexpectedTensor(
                    file: weightsPath, tensor: name, reason: "\(key) is not targeted by \(Self.configName)")
            }
            let entry = weights.entries[name]!
            guard ["F32", "F16", "BF16"].contains(entry.dtype) else {
                throw .badDType(file: weightsPath, tensor: name, dtype: entry.dtype)
            }
            let m = target.module
            let expected = isA ? [target.rank, m.inDim(shape)] : [m.outDim(shape), target.rank]
            guard entry.shape == expected else {
                throw .wrongShape(file: weightsPath, tensor: name, expected: expected, found: entry.shape)
            }
            if isA { found[key, default: (nil, nil)].a = name } else { found[key, default: (nil, nil)].b = name }
        }
        tensorNames = try targets.map { t throws(LoRALoadError) in
            let key = t.module.key(layer: t.layer)
            guard let a = found[key]?.a else {
                throw .missingTensor(file: weightsPath, tensor: Self.tensorPrefix + key + ".lora_A.weight")
            }
            guard let b = found[key]?.b else {
                throw .missingTensor(file: weightsPath, tensor: Self.tensorPrefix + key + ".lora_B.weight")
            }
            return (a, b)
        }
        let dtypes = Set(weights.entries.values.map(\.dtype)).sorted()
        info = LoRAAdapterInfo(
            directory: directory, r: config.r, maxRank: targets.map(\.rank).max()!, alpha: config.loraAlpha,
            scaling: config.scaling(alpha: config.loraAlpha, rank: config.r), useRSLoRA: config.useRSLoRA,
            targetModules: Set(targets.map(\.module)).sorted(), targets: targets,
            storedDType: dtypes.joined(separator: "+"))
    }

    /// Maps the safetensors file's header, its errors as `LoRALoadError`s.
    private static func open(_ path: String, directory: URL) throws(LoRALoadError) -> SafetensorsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            let pickle = FileManager.default.fileExists(
                atPath: directory.appendingPathComponent("adapter_model.bin").path)
            throw .missingFile(
                path: path,
                note: pickle ? "adapter_model.bin, a PyTorch pickle, is not read; save with safetensors" : "")
        }
        do {
            return try SafetensorsFile(path: path)
        } catch {
            switch error {
            case .io(let path, let reason): throw .io(path: path, reason: reason)
            case .badHeader(let file, let reason): throw .badSafetensors(file: file, reason: reason)
            case .badTensor(let file, let tensor, let reason):
                throw .badSafetensors(file: file, reason: "tensor '\(tensor)': \(reason)")
            default: throw .badSafetensors(file: path, reason: error.description)
            }
        }
    }

    /// The module key of tensor `name` and whether it is lora_A (else lora_B); anything else is refused with why.
    private static func classify(_ name: String, file: String, numLayers: Int) throws(LoRALoadError) -> (String, Bool) {
        func unexpected(_ why: String) -> LoRALoadError { .unexpectedTensor(file: file, tensor: name, reason: why) }
        let stripped = name.hasPrefix(tensorPrefix) ? String(name.dropFirst(tensorPrefix.count)) : name
        if stripped.contains("lora_magnitude_vector") { throw unexpected("a DoRA magnitude (DoRA is not supported)") }
        if stripped.contains("lora_embedding") || stripped.hasPrefix("lm_head")
            || stripped.hasPrefix("model.embed_tokens")
        {
            throw unexpected("LoRA on embed_tokens and lm_head is not supported")
        }
        let isA = stripped.hasSuffix(".lora_A.weight")
        guard isA || stripped.hasSuffix(".lora_B.weight") else {
            throw unexpected("not the lora_A.weight or lora_B.weight of a projection")
        }
        let key = String(stripped.dropLast(".lora_A.weight".count))
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
            let module = LoRAModule(rawValue: String(parts[4])), parts[3] == module.parent
        else {
            throw unexpected("\(key) is not a projection of this model (\(LoRAModule.names))")
        }
        guard layer < numLayers else {
            throw .layerOutOfRange(file: file, name: "tensor '\(name)'", layer: layer, numLayers: numLayers)
        }
        return (key, isA)
    }
}
