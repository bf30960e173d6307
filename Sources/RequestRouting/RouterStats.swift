/// Counters of the core's resilience and LoRA affinity decisions since it was made; the service exports them
/// as `apus:router_*_total` series.
public struct RouterStats: Sendable, Equatable {
    /// Retries the retry budget refused: those requests failed with their error instead.
    public var retriesBudgetExhausted = 0
    /// Requests (first attempts and retries) sent in panic mode to passively ejected engines.
    public var panicDispatches = 0
    /// Passive ejections skipped because `maxEjectionPercent` of the engines were already ejected.
    public var ejectionsSkipped = 0
    /// Dispatches of requests with a LoRA adapter (attempts, retries included) to an engine that held it.
    public var loraAffinityHits = 0
    /// Dispatches of requests with a LoRA adapter to an engine that did not hold it (it will load it).
    public var loraAffinityMisses = 0

    public init(
        retriesBudgetExhausted: Int = 0, panicDispatches: Int = 0, ejectionsSkipped: Int = 0, loraAffinityHits: Int = 0,
        loraAffinityMisses: Int = 0
    ) {
        self.retriesBudgetExhausted = retriesBudgetExhausted
        self.panicDispatches = panicDispatches
        self.ejectionsSkipped = ejectionsSkipped
        self.loraAffinityHits = loraAffinityHits
        self.loraAffinityMisses = loraAffinityMisses
    }
}
