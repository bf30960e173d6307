import Wire

/// The outputs of one upstream Generate call, with the first one awaited ahead of time.
///
/// `awaitFirst()` waits for the call's first output (or its failure) and keeps it for `next()`, so a refusal
/// (RESOURCE_EXHAUSTED → 429, UNAVAILABLE → 503) is known before any response header is written. The call is
/// cancelled upstream when this object is dropped unfinished (the iterator's stream terminates).
///
/// Contract: used by one task at a time — `Generation.start` awaits the first output, then exactly one reader task
/// drains it; each hand-over is ordered by task creation. That is why it may be `@unchecked Sendable`.
final class UpstreamOutputs: @unchecked Sendable {
    private enum First {
        case pending
        case received(ApusV1.GenerateOutput?)
        case consumed
    }

    /// The id the upstream knows the request by (the api's, with a retry suffix after a lost connection).
    let requestID: String
    /// Which attempt of the request this call is (0 = the first; `UpstreamRetry.attempt`).
    let attempt: Int
    private var iterator: RPCResponseStream<ApusV1.GenerateOutput>.AsyncIterator
    private var first = First.pending
    /// When the awaited first output arrived: the metrics' time to first token, not when it was read.
    private(set) var firstArrival: ContinuousClock.Instant?

    init(_ stream: RPCResponseStream<ApusV1.GenerateOutput>, requestID: String, attempt: Int = 0) {
        self.requestID = requestID
        self.attempt = attempt
        iterator = stream.makeAsyncIterator()
    }

    /// Waits for the first output; throws the upstream's error when the call fails before producing one.
    func awaitFirst() async throws {
        guard case .pending = first else { return }
        first = .received(try await iterator.next())
        firstArrival = .now
    }

    /// The next output, the awaited first one included; nil once the call ended.
    func next() async throws -> ApusV1.GenerateOutput? {
        if case .received(let output) = first {
            first = .consumed
            return output
        }
        first = .consumed
        return try await iterator.next()
    }
}
