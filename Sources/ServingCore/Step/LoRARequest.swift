/// The LoRA adapter a request runs with (vLLM's `LoRARequest`; docs/lora.md).
///
/// `name` is the adapter's served name: the scheduler counts distinct names against `max_loras` per step, and the
/// name is mixed into every block hash, so requests of different adapters never share prefix-cache blocks. `path`
/// is the adapter's directory (PEFT's `adapter_config.json` and `adapter_model.safetensors`): runners keep no
/// registry and load an adapter from the path a step names when they do not hold it.
public struct LoRARequest: Sendable, Hashable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}
