/// The `max_loras` rule of one admission pass (docs/lora.md; vLLM 0.33 `Scheduler.schedule`): the adapters of
/// every running request (scheduled this step or not) hold slots, and a waiting request with an adapter that holds
/// none is skipped once all `maxLoras` are taken; it keeps its place in the queue.
///
/// Starvation bound (not in vLLM): a request skipped for `loraStarvationSteps` passes in a row fences the rest of
/// the pass — requests behind it with another adapter are skipped too — so the running adapters drain and it gets
/// the next free slot. Requests without an adapter never take or wait for a slot.
struct LoRASlots {
    private let limit: Int?
    private let starvationSteps: Int
    private var held: Set<String>
    /// The adapter of a starved request; only it may be admitted among adapter requests for the rest of the pass.
    private var fence: String?

    init(config: SchedulerConfig, running: [Request]) {
        limit = config.maxLoras
        starvationSteps = config.loraStarvationSteps
        held = limit == nil ? [] : Set(running.compactMap(\.loraName))
    }

    /// Whether `request` may be admitted now; counts a blocked pass on the request.
    mutating func admits(_ request: Request) -> Bool {
        guard let limit, let name = request.loraName else { return true }
        if let fence, fence != name { return false }
        if held.contains(name) || held.count < limit {
            request.numLoRABlockedSteps = 0
            return true
        }
        request.numLoRABlockedSteps += 1
        if starvationSteps > 0 && request.numLoRABlockedSteps >= starvationSteps && fence == nil { fence = name }
        return false
    }

    /// Records an admitted request's adapter as holding a slot.
    mutating func add(_ request: Request) {
        guard limit != nil, let name = request.loraName else { return }
        held.insert(name)
    }
}
