/// A runner's measured step speed, from its profile run.
public struct StepSpeed: Sendable, Hashable {
    /// Seconds per token of a one-sequence prefill step.
    public var prefillTokenSeconds: Double
    /// Seconds of one decode step of `decodeBatch` sequences.
    public var decodeStepSeconds: Double
    public var decodeBatch: Int

    public init(prefillTokenSeconds: Double, decodeStepSeconds: Double, decodeBatch: Int) {
        self.prefillTokenSeconds = prefillTokenSeconds
        self.decodeStepSeconds = decodeStepSeconds
        self.decodeBatch = decodeBatch
    }
}

/// The default `max_num_batched_tokens`: the largest token budget (a multiple of the block size, between `floor`
/// and `cap`) whose predicted step — the decode step of the profiled batch plus the budget's tokens at the
/// profiled prefill cost — stays within `targetStepSeconds`. `cap` is vLLM's default for online serving; a
/// runner fast enough for it keeps it, a slow one (a large model on a CPU) gets a smaller budget, so that a step
/// carrying a prefill chunk holds the running decodes for at most a few seconds and a router that has not yet
/// learned the engine's speed (it allows a first step 3 × 2 s) does not take that step for a hang.
///
/// NOTE: why not a smaller target (a few decode steps): on the 100M Llama on 2 CPU cores, a 928-token budget
/// (a 1 s target) against 2048 under `vllm bench serve` at concurrency 16 gave 330 vs 430 output tokens/s, a mean
/// time to first token of 1.3 s vs 0.26 s and an inter-token p99 of 145 vs 52 ms — worse on every count. See
/// docs/performance.md.
public enum TokenBudget {
    public static let cap = 2048
    public static let floor = 256
    /// The longest step a default budget may predict: half the router's default limit for a first step.
    public static let targetStepSeconds = 3.0

    /// The budget for runners of `speeds` (pipeline stages run one after another, so their times add); `cap`
    /// when a runner did not measure its speed.
    public static func choose(speeds: [StepSpeed?], blockSize: Int) -> Int {
        guard !speeds.isEmpty, speeds.allSatisfy({ $0 != nil && $0!.prefillTokenSeconds > 0 }) else { return cap }
        let perToken = speeds.reduce(0) { $0 + $1!.prefillTokenSeconds }
        let decode = speeds.reduce(0) { $0 + $1!.decodeStepSeconds }
        let fits = max(0, min(Double(cap), (targetStepSeconds - decode) / perToken))
        return max(floor, Int(fits) / blockSize * blockSize)
    }
}
