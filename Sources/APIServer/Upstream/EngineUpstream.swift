import ServingCore
import Wire

/// The api's one connection to its upstream `Engine` service (a router or an engine-core; docs/architecture.md §1.1).
///
/// Shared by every request: calls are multiplexed on one `RPCClient`, which reconnects with backoff. Several api
/// processes may point at the same upstream; none of them keeps state the others need.
public final class EngineUpstream: Sendable {
    public let client: RPCClient

    public init(client: RPCClient) { self.client = client }

    public convenience init(host: String, port: Int, authToken: String = "", tls: TLSConfiguration? = nil) {
        var config = RPCClient.Configuration(service: "api")
        config.authToken = authToken
        config.tls = tls
        config.initialBackoff = .milliseconds(50)
        config.maxBackoff = .seconds(2)
        config.keepalive = .init(interval: .seconds(5), timeout: .seconds(5))
        self.init(client: RPCClient(host: host, port: port, configuration: config))
    }

    /// Starts one request; fails fast (UNAVAILABLE → 503) when the upstream cannot be reached. Ending the
    /// iteration of the returned stream early cancels the call, which aborts the request at the engine.
    func generate(_ request: ApusV1.GenerateRequest) async throws(APIError) -> RPCResponseStream<ApusV1.GenerateOutput>
    {
        do {
            return try await client.serverStream(RPCMethod.generate, request, as: ApusV1.GenerateOutput.self)
        } catch {
            throw APIError.upstream(error)
        }
    }

    /// Aborts requests the api finished itself (stop strings); best effort, errors are ignored.
    func abort(_ requestIDs: [String]) async {
        _ = try? await client.unary(
            RPCMethod.abort, ApusV1.AbortRequest(requestIDs: requestIDs), as: ApusV1.AbortResponse.self,
            timeout: .seconds(5))
    }

    /// The upstream's model; with `waitForReady` it waits (up to `timeout`) for the upstream to come up. `/health`
    /// calls it without waiting, so a lost upstream makes the api unhealthy (503).
    public func modelInfo(timeout: Duration = .seconds(60), waitForReady: Bool = true) async throws -> ApusV1.ModelInfo
    {
        try await client.unary(
            RPCMethod.getModelInfo, ApusV1.GetModelInfoRequest(), as: ApusV1.ModelInfo.self, timeout: timeout,
            waitForReady: waitForReady)
    }
}
