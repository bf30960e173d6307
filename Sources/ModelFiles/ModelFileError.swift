/// Why a model file could not be read; every case names the file, and the field or tensor at fault.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be opened, mapped or read.
    case io(path: String, reason: String)
    /// The bytes break the format: a wrong magic, a count or offset past the end, an invalid value.
    case malformed(path: String, field: String, reason: String)
    /// A valid file using something Apus does not implement (a GGUF version or tensor type).
    case unsupported(path: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): "\(path): \(reason)"
        case .malformed(let path, let field, let reason): "\(path): malformed \(field): \(reason)"
        case .unsupported(let path, let field, let reason): "\(path): unsupported \(field): \(reason)"
        }
    }
}
