import Wire

/// The retry state of one upstream request before its first output (`EngineUpstream.start`): which failures are
/// retried, the backoff, and the id of each attempt.
struct UpstreamRetry {
    let deadline: ContinuousClock.Instant
    private(set) var attempt = 0

    init(deadline: ContinuousClock.Instant, attempt: Int = 0) {
        self.deadline = deadline
        self.attempt = attempt
    }

    /// True for the failures worth another attempt: this process's transport lost or could not reach the upstream.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let rpc = error as? RPCError else { return false }
        return rpc.origin == .transport && rpc.code == .unavailable
    }

    /// The id of the current attempt: the original, then `<id>-retry<N>`, so a retry never collides with the
    /// abandoned call if the engine still holds it for a moment.
    func requestID(_ base: String) -> String { attempt == 0 ? base : "\(base)-retry\(attempt)" }

    /// Returns after the backoff (50 ms doubling to 1 s) when `error` is a transport failure and the deadline
    /// allows another attempt; otherwise throws `error` as the api's error. Cancellation (the client left) ends
    /// the wait with the original error.
    mutating func backOff(after error: any Error) async throws(APIError) {
        guard Self.isRetryable(error), let rpc = error as? RPCError else { throw APIError.upstream(error) }
        let delay = Duration.milliseconds(50 << min(attempt, 4))
        let pause = min(delay, .seconds(1))
        guard ContinuousClock.now + pause < deadline, !Task.isCancelled else { throw APIError.upstream(error) }
        attempt += 1
        do { try await Task.sleep(for: pause) } catch { throw APIError.upstream(rpc) }
    }
}
