import ServingCore
import Wire

/// The api's one client of its upstream `Engine` service (a router or an engine-core; docs/architecture.md §1.1).
///
/// Shared by every request: in a deployment, calls are multiplexed on one `RPCClient`, which reconnects with
/// backoff; tests hand it an in-process engine. Several api processes may point at the same upstream; none of them
/// keeps state the others need.
public final class EngineUpstream: Sendable {
    public let engine: any EngineClient
    /// How long a request may wait, before its first output, for a lost upstream connection to come back (a router
    /// restarting under `apus serve` takes about a second); see `start`.
    public let retryWindow: Duration

    public init(engine: any EngineClient, retryWindow: Duration = .seconds(10)) {
        self.engine = engine
        self.retryWindow = retryWindow
    }

    public convenience init(
        host: String, port: Int, authToken: String = "", tls: TLSConfiguration? = nil,
        retryWindow: Duration = .seconds(10)
    ) {
        var config = RPCClient.Configuration(service: "api")
        config.authToken = authToken
        config.tls = tls
        config.initialBackoff = .milliseconds(50)
        config.maxBackoff = .seconds(2)
        config.keepalive = .init(interval: .seconds(5), timeout: .seconds(5))
        self.init(
            engine: RPCEngineClient(RPCClient(host: host, port: port, configuration: config)), retryWindow: retryWindow)
    }

    /// Starts `requests` together (the choices of one OpenAI request) and waits for each one's first output, so a
    /// refusal is known before any response byte is written.
    ///
    /// A request whose call fails in this process's transport (the upstream's connection refused or lost: a router
    /// restarting) before its first output is sent again, with backoff, under a new id (`<id>-retry<N>`), until
    /// `retryWindow` has passed. The abandoned call cannot produce output anywhere: its connection is gone, so the
    /// engine aborts it. Errors the upstream itself answers (a 429, a 400, a router with no engine) are not retried.
    /// Ending the iteration of an output stream early cancels its call, which aborts the request at the engine.
    func start(_ requests: [ApusV1.GenerateRequest]) async throws(APIError) -> [UpstreamOutputs] {
        let deadline = ContinuousClock.now + retryWindow
        var started: [(UpstreamOutputs, UpstreamRetry)] = []
        for request in requests {
            var retry = UpstreamRetry(deadline: deadline)
            started.append((try await submit(request, &retry), retry))
        }
        var ready: [UpstreamOutputs] = []
        for (i, (first, retry)) in started.enumerated() {
            var outputs = first
            var retry = retry
            while true {
                do {
                    try await outputs.awaitFirst()
                    break
                } catch {
                    try await retry.backOff(after: error)
                    outputs = try await submit(requests[i], &retry)
                }
            }
            ready.append(outputs)
        }
        return ready
    }

    /// Starts `request` again after its call `previous` failed in the transport once it had produced output but
    /// before the client saw any of it (`Generation`): a new attempt, id and retry window, as `start` does for a call
    /// that fails before its first output.
    func restart(_ request: ApusV1.GenerateRequest, after previous: UpstreamOutputs, error: any Error)
        async throws(APIError) -> UpstreamOutputs
    {
        var retry = UpstreamRetry(deadline: ContinuousClock.now + retryWindow, attempt: previous.attempt)
        try await retry.backOff(after: error)
        while true {
            let outputs = try await submit(request, &retry)
            do {
                try await outputs.awaitFirst()
                return outputs
            } catch {
                try await retry.backOff(after: error)
            }
        }
    }

    /// Sends `request` (under `retry`'s id for it), retrying a transport failure as `start` describes.
    private func submit(
        _ request: ApusV1.GenerateRequest, _ retry: inout UpstreamRetry
    ) async throws(APIError) -> UpstreamOutputs {
        while true {
            var sent = request
            sent.requestID = retry.requestID(request.requestID)
            do {
                return UpstreamOutputs(
                    try await engine.generate(sent), requestID: sent.requestID, attempt: retry.attempt)
            } catch {
                try await retry.backOff(after: error)
            }
        }
    }

    /// Aborts requests the api finished itself (stop strings); best effort, errors are ignored.
    func abort(_ requestIDs: [String]) async {
        _ = try? await engine.abort(requestIDs, timeout: .seconds(5))
    }

    /// The upstream's model; with `waitForReady` it waits (up to `timeout`) for the upstream to come up. `/health`
    /// calls it without waiting, so a lost upstream makes the api unhealthy (503).
    public func modelInfo(timeout: Duration = .seconds(60), waitForReady: Bool = true) async throws -> ApusV1.ModelInfo
    {
        try await engine.modelInfo(timeout: timeout, waitForReady: waitForReady)
    }
}
