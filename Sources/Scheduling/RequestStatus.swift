import ServingCore

/// Where a request is in its life (docs/scheduling.md §1); every case after `preempted` is a finished state.
///
/// The raw values keep vLLM's order so `isFinished` is one comparison.
public enum RequestStatus: Int, Sendable, Hashable, Comparable {
    case waiting = 0
    case waitingForStructuredOutputGrammar
    case waitingForRemoteKVs
    case waitingForStreamingRequest
    case running
    case preempted
    case finishedStopped
    case finishedLengthCapped
    case finishedAborted
    case finishedIgnored
    case finishedError
    case finishedRepetition

    public static func < (lhs: RequestStatus, rhs: RequestStatus) -> Bool { lhs.rawValue < rhs.rawValue }

    /// True for every state after `preempted`.
    public var isFinished: Bool { self > .preempted }

    /// What the client sees for a finished status; nil while the request is alive.
    public var finishReason: FinishReason? {
        switch self {
        case .finishedStopped: .stop
        case .finishedLengthCapped, .finishedIgnored: .length
        case .finishedAborted: .abort
        case .finishedError: .error
        case .finishedRepetition: .stop
        default: nil
        }
    }
}
