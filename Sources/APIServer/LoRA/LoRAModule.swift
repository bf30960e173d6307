import Tokenization

/// One `--lora-modules` entry, in vLLM's two forms: `name=path`, or JSON
/// `{"name": …, "path": …, "base_model_name": …}` (the parent `/v1/models` lists; default: the served model).
public struct LoRAModule: Sendable, Equatable {
    public var name: String
    public var path: String
    public var baseModelName: String?

    public init(name: String, path: String, baseModelName: String? = nil) {
        self.name = name
        self.path = path
        self.baseModelName = baseModelName
    }

    /// Throws a message naming the expected forms.
    public init(parsing text: String) throws(LoRAModuleError) {
        if text.hasPrefix("{") {
            guard let json = try? JSONValue(parsing: text), let object = json.objectValue,
                let name = object["name"]?.stringValue, let path = object["path"]?.stringValue, !name.isEmpty,
                !path.isEmpty
            else { throw LoRAModuleError(text) }
            self.init(name: name, path: path, baseModelName: object["base_model_name"]?.stringValue)
        } else {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw LoRAModuleError(text) }
            self.init(name: parts[0], path: parts[1])
        }
    }
}

/// A `--lora-modules` entry in neither form.
public struct LoRAModuleError: Error, Sendable, CustomStringConvertible {
    public var text: String
    init(_ text: String) { self.text = text }
    public var description: String {
        "--lora-modules: expected name=path or {\"name\": …, \"path\": …, \"base_model_name\": …}, got \(text)"
    }
}
