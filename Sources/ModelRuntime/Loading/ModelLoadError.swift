import ModelFiles

/// Why a checkpoint or config could not be loaded; every case names the file and, where there is one, the tensor.
public enum ModelLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case io(path: String, reason: String)
    /// The safetensors header itself is unusable (length, JSON).
    case badHeader(file: String, reason: String)
    /// One tensor's header entry is inconsistent (dtype, shape, offsets).
    case badTensor(file: String, tensor: String, reason: String)
    /// The model needs a tensor the checkpoint does not have.
    case missingTensor(tensor: String, directory: String)
    /// A tensor exists with another shape than the config implies.
    case wrongShape(file: String, tensor: String, expected: [Int], found: [Int])
    /// `config.json` (or a GGUF file's `general.architecture`) names an architecture this runtime does not implement.
    case unsupportedArchitecture(String, path: String)
    /// `config.json` is missing or has a bad field.
    case badConfig(path: String, reason: String)
    /// A GGUF (or other mapped) file is unreadable, malformed or uses what Apus lacks.
    case file(ModelFileError)

    public var description: String {
        switch self {
        case .io(let path, let reason): "cannot read \(path): \(reason)"
        case .badHeader(let file, let reason): "invalid safetensors header in \(file): \(reason)"
        case .badTensor(let file, let tensor, let reason): "invalid tensor '\(tensor)' in \(file): \(reason)"
        case .missingTensor(let tensor, let directory): "tensor '\(tensor)' not found in the checkpoint at \(directory)"
        case .wrongShape(let file, let tensor, let expected, let found):
            "tensor '\(tensor)' in \(file) has shape \(found), expected \(expected)"
        case .unsupportedArchitecture(let name, let path) where path.hasSuffix(".json"):
            "unsupported architecture '\(name)' in \(path); supported: "
                + ModelArchitecture.allCases.map(\.rawValue).joined(separator: ", ")
        case .unsupportedArchitecture(let name, let path):
            "unsupported architecture '\(name)' (general.architecture) in \(path); supported: "
                + ModelConfig.ggufArchitectures.keys.sorted().joined(separator: ", ")
        case .badConfig(let path, let reason): "invalid model config \(path): \(reason)"
        case .file(let error): error.description
        }
    }
}
