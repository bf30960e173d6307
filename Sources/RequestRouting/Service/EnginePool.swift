/// The two pools of a PD router (docs/disaggregation.md §4).
public enum EnginePool: String, Sendable, CaseIterable {
    /// Producers: engine-cores that compute prompts and hold their KV blocks for a consumer to pull.
    case prefill
    /// Consumers: engine-cores that pull the blocks and generate every output token.
    case decode

    /// Splits an admin address of a PD router, `prefill=HOST:PORT` or `decode=HOST:PORT`, into its pool and
    /// address; a plain address has no pool.
    public static func split(_ text: String) -> (pool: EnginePool?, address: String) {
        guard let equals = text.firstIndex(of: "="), let pool = EnginePool(rawValue: String(text[..<equals])) else {
            return (nil, text)
        }
        return (pool, String(text[text.index(after: equals)...]))
    }
}
