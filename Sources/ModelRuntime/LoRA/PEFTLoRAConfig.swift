import Foundation

/// The fields of PEFT's `adapter_config.json` (`LoraConfig`) that decide which projections an adapter changes and
/// by how much, read and checked; every other field must be at its default or the adapter is refused
/// (`unsupportedFields`), so nothing the file asks for is silently ignored.
struct PEFTLoRAConfig: Sendable {
    /// PEFT's `target_modules` and `exclude_modules`: names matched as whole keys or key suffixes after a dot, one
    /// regular expression matched against the whole key, or (targets only) "all-linear".
    enum ModuleSelector: Sendable, Equatable {
        case names([String])
        case pattern(String)
        case allLinear
    }

    var r: Int
    var loraAlpha: Double
    var targetModules: ModuleSelector
    var excludeModules: ModuleSelector?
    var useRSLoRA: Bool
    /// Per-module rank and alpha, keyed by PEFT patterns (`get_pattern_key`); sorted by key.
    var rankPattern: [(key: String, value: Int)]
    var alphaPattern: [(key: String, value: Double)]
    var layersToTransform: [Int]?
    var layersPattern: [String]?

    /// Reads `path` (an `adapter_config.json`).
    init(path: String) throws(LoRALoadError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: "\(error)")
        }
        try self.init(json: data, file: path)
    }

    init(json: Data, file: String) throws(LoRALoadError) {
        guard let object = try? JSONSerialization.jsonObject(with: json), let dict = object as? [String: Any] else {
            throw .badConfig(file: file, reason: "not a JSON object")
        }
        var fields = ConfigFields(dict: dict, file: file)
        try fields.refuseUnsupported()
        r = try fields.int("r") ?? 8
        loraAlpha = try fields.number("lora_alpha") ?? 8
        guard let targets = try fields.selector("target_modules") else {
            throw .badConfig(file: file, reason: "target_modules is missing (PEFT writes the modules it adapted)")
        }
        targetModules = targets
        excludeModules = try fields.selector("exclude_modules")
        if excludeModules == .allLinear {
            throw .badConfig(file: file, reason: "exclude_modules cannot be \"all-linear\"")
        }
        useRSLoRA = try fields.bool("use_rslora") ?? false
        rankPattern = try fields.patterns("rank_pattern").map { (key, value) throws(LoRALoadError) in
            guard let rank = value.integer else {
                throw .badConfig(file: file, reason: "rank_pattern['\(key)'] must be an integer, got \(value.number)")
            }
            return (key, rank)
        }
        alphaPattern = try fields.patterns("alpha_pattern").map { ($0.key, $0.value.number) }
        layersToTransform = try fields.intOrInts("layers_to_transform")
        layersPattern = try fields.stringOrStrings("layers_pattern")
    }
}

/// Typed access to the JSON fields of one config file, each failure naming the field.
private struct ConfigFields {
    struct Number {
        var number: Double
        var integer: Int? { number.rounded() == number && abs(number) < 1e15 ? Int(number) : nil }
    }

    let dict: [String: Any]
    let file: String

    func bad(_ field: String, _ expected: String) -> LoRALoadError {
        .badConfig(file: file, reason: "\(field) must be \(expected), got \(String(describing: dict[field]!))")
    }

    /// The value of `field`, nil when absent or JSON null.
    func value(_ field: String) -> Any? {
        guard let v = dict[field], !(v is NSNull) else { return nil }
        return v
    }

    /// NOTE: JSON numbers arrive as NSNumber, which `as? Bool` also accepts for 0 and 1; a JSON true or false is
    /// the distinct boolean NSNumber class.
    static func isBool(_ v: Any) -> Bool { ObjectIdentifier(type(of: v)) == boolType }
    private static let boolType = ObjectIdentifier(type(of: NSNumber(value: true)))

    func bool(_ field: String) throws(LoRALoadError) -> Bool? {
        guard let v = value(field) else { return nil }
        guard Self.isBool(v), let b = v as? Bool else { throw bad(field, "true or false") }
        return b
    }

    func number(_ field: String) throws(LoRALoadError) -> Double? {
        guard let v = value(field) else { return nil }
        guard let n = v as? NSNumber, !Self.isBool(v), n.doubleValue.isFinite else { throw bad(field, "a number") }
        return n.doubleValue
    }

    func int(_ field: String) throws(LoRALoadError) -> Int? {
        guard let v = value(field) else { return nil }
        guard let n = v as? NSNumber, !Self.isBool(v), let i = Number(number: n.doubleValue).integer else {
            throw bad(field, "an integer")
        }
        return i
    }

    func intOrInts(_ field: String) throws(LoRALoadError) -> [Int]? {
        guard let v = value(field) else { return nil }
        if let i = try? int(field) { return [i] }
        guard let list = v as? [Any] else { throw bad(field, "an integer or a list of integers") }
        return try list.map { item throws(LoRALoadError) in
            guard let n = item as? NSNumber, !Self.isBool(n), let i = Number(number: n.doubleValue).integer else {
                throw bad(field, "an integer or a list of integers")
            }
            return i
        }
    }

    func stringOrStrings(_ field: String) throws(LoRALoadError) -> [String]? {
        guard let v = value(field) else { return nil }
        if let s = v as? String { return [s] }
        guard let list = v as? [Any], let strings = list as? [String] else {
            throw bad(field, "a string or a list of strings")
        }
        return strings
    }

    func selector(_ field: String) throws(LoRALoadError) -> PEFTLoRAConfig.ModuleSelector? {
        guard let v = value(field) else { return nil }
        if let s = v as? String { return s == "all-linear" ? .allLinear : .pattern(s) }
        guard let names = try stringOrStrings(field) else { return nil }
        return .names(names)
    }

    func patterns(_ field: String) throws(LoRALoadError) -> [(key: String, value: Number)] {
        guard let v = value(field) else { return [] }
        guard let d = v as? [String: Any] else { throw bad(field, "an object of pattern → number") }
        return try d.keys.sorted().map { key throws(LoRALoadError) in
            guard let n = d[key] as? NSNumber, !Self.isBool(n) else {
                throw .badConfig(file: file, reason: "\(field)['\(key)'] must be a number")
            }
            return (key, Number(number: n.doubleValue))
        }
    }

    /// Fields that change the computation in ways this runtime does not implement must be at PEFT's defaults.
    mutating func refuseUnsupported() throws(LoRALoadError) {
        func refuse(_ field: String, _ reason: String) -> LoRALoadError {
            .unsupported(file: file, field: "\(field): \(String(describing: dict[field]!))", reason: reason)
        }
        if let type = value("peft_type") as? String, type != "LORA" {
            throw refuse("peft_type", "only LoRA adapters are supported")
        }
        if try bool("use_dora") == true { throw refuse("use_dora", "DoRA adapters are not supported") }
        if let bias = value("bias"), bias as? String != "none" {
            throw refuse("bias", "adapters that train biases are not supported (PEFT bias must be \"none\")")
        }
        if try bool("lora_bias") == true { throw refuse("lora_bias", "lora_B biases are not supported") }
        if let saved = value("modules_to_save"), !((saved as? [Any])?.isEmpty ?? false) {
            throw refuse("modules_to_save", "adapters that replace whole modules are not supported")
        }
        if try bool("fan_in_fan_out") == true {
            throw refuse("fan_in_fan_out", "transposed (Conv1D, GPT-2 style) weights are not supported")
        }
        if try bool("use_qalora") == true { throw refuse("use_qalora", "QA-LoRA adapters are not supported") }
        for field in ["layer_replication", "alora_invocation_tokens", "trainable_token_indices"] {
            if value(field) != nil { throw refuse(field, "not supported") }
        }
        if let params = value("target_parameters"), !((params as? [Any])?.isEmpty ?? false) {
            throw refuse("target_parameters", "adapters on parameters (not modules) are not supported")
        }
    }
}
