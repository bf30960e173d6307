/// `apus probe`: one Health.Check with grpc_health_probe's exit codes.
public enum HealthProbe {
    public enum Outcome: Int32, Sendable {
        case serving = 0
        case badArguments = 1
        case cannotConnect = 2
        case callFailed = 3
        case notServing = 4
    }

    /// Connects, checks `service`, and maps the result onto an exit code with a one-line explanation.
    public static func check(
        host: String, port: Int, service: String, connectTimeout: Duration, rpcTimeout: Duration,
        authToken: String = "", tls: TLSConfiguration? = nil
    ) async -> (Outcome, String) {
        var config = RPCClient.Configuration(service: "probe")
        config.connectTimeout = connectTimeout
        config.keepalive = .init(interval: nil)
        config.authToken = authToken
        config.tls = tls
        let client = RPCClient(host: host, port: port, configuration: config)
        defer { Task { await client.close() } }
        do {
            _ = try await client.serverHello()
        } catch {
            return (.cannotConnect, "error: cannot connect to \(host):\(port): \(RPCError.from(error).message)")
        }
        do {
            let response = try await client.unary(
                HealthService.checkMethod, ApusV1.HealthCheckRequest(service: service),
                as: ApusV1.HealthCheckResponse.self, timeout: rpcTimeout)
            if response.status == .serving { return (.serving, "status: SERVING") }
            return (.notServing, "service unhealthy (responded with \(response.status))")
        } catch {
            return (.callFailed, "error: health rpc failed: \(RPCError.from(error))")
        }
    }
}
