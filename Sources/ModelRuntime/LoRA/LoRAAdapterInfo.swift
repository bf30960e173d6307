/// What an adapter's files say it does, as checked against one model (`LoRAAdapter.validate`): the api shows it and
/// the runner loads exactly these modules.
public struct LoRAAdapterInfo: Sendable, Equatable {
    /// One adapted projection of one decoder layer.
    public struct Target: Sendable, Hashable {
        public var layer: Int
        public var module: LoRAModule
        public var rank: Int
        /// What `B·A·x` is multiplied by: alpha / rank, or alpha / √rank with rsLoRA (per module with
        /// rank_pattern / alpha_pattern).
        public var scaling: Double
    }

    public var directory: String
    /// `r` of adapter_config.json, and the largest rank of any module (they differ only with rank_pattern).
    public var r: Int
    public var maxRank: Int
    /// `lora_alpha`, and `lora_alpha / r` (or `/ √r` with `use_rslora`): the scaling of modules no pattern names.
    public var alpha: Double
    public var scaling: Double
    public var useRSLoRA: Bool
    /// The distinct projections adapted in any layer, in forward order.
    public var targetModules: [LoRAModule]
    /// Every adapted (layer, module), ordered by layer then module.
    public var targets: [Target]
    /// The dtype the tensors are stored in ("F32", "F16", "BF16"; several joined by "+").
    public var storedDType: String
}
