/// Which waiting request is admitted first and which running request is preempted first (docs/scheduling.md §7–§8).
public enum SchedulingPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Arrival order; the victim is the most recently admitted running request.
    case fcfs
    /// `(priority, arrival, request id)` ascending; the victim is the running request with the largest
    /// `(priority, arrival)`.
    case priority
}
