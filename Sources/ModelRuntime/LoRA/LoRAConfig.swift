/// A runner's LoRA settings (vLLM's `LoRAConfig`; the runner's `--enable-lora`, `--max-lora-rank`,
/// `--max-cpu-loras`). A runner without one refuses every step that names an adapter.
public struct LoRAConfig: Sendable, Equatable {
    /// The largest rank of any module of an adapter the runner loads (vLLM's default 16).
    public var maxLoRARank: Int
    /// Adapters kept in memory between steps, least recently used evicted first; a step that needs more holds
    /// them all until it is done (docs/lora.md, "Runner").
    public var maxCPULoRAs: Int

    /// The ranges the command line checks before building one.
    public static let maxLoRARankRange = 1...512
    public static let maxCPULoRAsRange = 1...1024

    /// Precondition: both values in their ranges (`RunnerCommand.validate` refuses others with a clear message).
    public init(maxLoRARank: Int = 16, maxCPULoRAs: Int = 4) {
        precondition(Self.maxLoRARankRange.contains(maxLoRARank), "max_lora_rank \(maxLoRARank) out of range")
        precondition(Self.maxCPULoRAsRange.contains(maxCPULoRAs), "max_cpu_loras \(maxCPULoRAs) out of range")
        self.maxLoRARank = maxLoRARank
        self.maxCPULoRAs = maxCPULoRAs
    }
}
