import APIServer
import ArgumentParser
import Foundation

/// The api's LoRA flags with vLLM's names, declared once for `apus api` and `apus serve` (docs/lora.md).
struct APILoRAOptions: ParsableArguments {
    @Option(
        name: .customLong("lora-modules"), parsing: .upToNextOption,
        help: ArgumentHelp(
            "Adapters served from the start: name=path or '{\"name\": …, \"path\": …, \"base_model_name\": …}' "
                + "(needs --enable-lora on the engine-core and runners)."))
    var loraModules: [String] = []

    @Flag(
        name: .customLong("allow-runtime-lora-updating"),
        help: "Serve POST /v1/load_lora_adapter and /v1/unload_lora_adapter (env VLLM_ALLOW_RUNTIME_LORA_UPDATING).")
    var allowRuntimeLoRAUpdating = false

    init() {}

    /// The flag, or vLLM's environment variable set to a true value.
    var runtimeUpdating: Bool {
        let env = ProcessInfo.processInfo.environment["VLLM_ALLOW_RUNTIME_LORA_UPDATING"]?.lowercased()
        return allowRuntimeLoRAUpdating || env == "1" || env == "true"
    }

    func modules() throws -> [LoRAModule] {
        try loraModules.map { text in
            do { return try LoRAModule(parsing: text) } catch { throw ValidationError("\(error)") }
        }
    }

    /// The flags again, as `apus api` parses them.
    var arguments: [String] {
        (loraModules.isEmpty ? [] : ["--lora-modules"] + loraModules)
            + (allowRuntimeLoRAUpdating ? ["--allow-runtime-lora-updating"] : [])
    }
}
