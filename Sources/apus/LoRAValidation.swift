import APIServer
import ModelRuntime
import ServingCore
import Wire

/// The api's check of an adapter at load: its files against the model's layer shapes and the runners' rank limit,
/// as the runners will load it (docs/lora.md). Nil when the upstream serves no adapters.
enum LoRAValidation {
    static func validator(_ info: ApusV1.ModelInfo) -> LoRAAdapters.Validator? {
        guard info.maxLoraRank > 0, let shape = ModelShape(info.shape) else { return nil }
        let maxRank = Int(info.maxLoraRank)
        return { path in _ = try LoRAAdapter.validate(directory: path, shape: shape, maxRank: maxRank) }
    }
}
