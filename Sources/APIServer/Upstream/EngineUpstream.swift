import ServingCore
import Wire

/// The api's one client of its upstream `Engine` service (a router or an engine-core; docs/architecture.md §1.1).
///
/// Shared by every request: in a deployment, calls are multiplexed on one `RPCClient`, which reconnects with
/// backoff; tests hand it an in-process engine. Several api processes may point at the same upstream; none of them
/// keeps state the others need.
public final class EngineUpstream: Sendable {
    public let engine: any EngineClient

    public init(engine: any EngineClient) { self.engine = engine }

    public convenience init(host: String, port: Int, authToken: String = "", tls: TLSConfiguration? = nil) {
        var config = RPCClient.Configuration(service: "api")
        config.authToken = authToken
        config.tls = tls
        config.initialBackoff = .milliseconds(50)
        config.maxBackoff = .seconds(2)
        config.keepalive = .init(interval: .seconds(5), timeout: .seconds(5))
        self.init(engine: RPCEngineClient(RPCClient(host: host, port: port, configuration: config)))
    }

    /// Starts one request; fails fast (UNAVAILABLE → 503) when the upstream cannot be reached. Ending the
    /// iteration of the returned stream early cancels the call, which aborts the request at the engine.
    func generate(_ request: ApusV1.GenerateRequest) async throws(APIError) -> RPCResponseStream<ApusV1.GenerateOutput>
    {
        do {
            return try await engine.generate(request)
        } catch {
            throw APIError.upstream(error)
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
