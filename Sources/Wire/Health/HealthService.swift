import NIOConcurrencyHelpers

/// grpc.health.v1 on the Apus wire: `Check` answers a service's status, `Watch` streams every change.
///
/// The empty name "" is the server as a whole. Services set their status as readiness changes (a runner is
/// SERVING once weights are loaded and the KV cache exists; graceful shutdown sets NOT_SERVING first).
public final class HealthService: Sendable {
    public static let checkMethod = RPCMethod.healthCheck
    public static let watchMethod = RPCMethod.healthWatch

    public typealias Status = ApusV1.ServingStatus

    private struct State {
        var statuses: [String: Status] = [:]
        var watchers: [Int: (service: String, continuation: AsyncStream<Status>.Continuation)] = [:]
        var nextWatcher = 0
    }

    private let state = NIOLockedValueBox(State())

    public init(statuses: [String: Status] = ["": .notServing]) {
        state.withLockedValue { $0.statuses = statuses }
    }

    /// Sets a service's status and notifies its watchers (only when it changed).
    public func setStatus(_ status: Status, for service: String = "") {
        let toNotify = state.withLockedValue { s -> [AsyncStream<Status>.Continuation] in
            guard s.statuses[service] != status else { return [] }
            s.statuses[service] = status
            return s.watchers.values.filter { $0.service == service }.map(\.continuation)
        }
        toNotify.forEach { $0.yield(status) }
    }

    /// Sets every registered service (and "") at once, e.g. NOT_SERVING on shutdown.
    public func setAll(_ status: Status) {
        let names = state.withLockedValue { Array($0.statuses.keys) }
        names.forEach { setStatus(status, for: $0) }
    }

    public func status(of service: String) -> Status? {
        state.withLockedValue { $0.statuses[service] }
    }

    /// The Check and Watch handlers, ready to merge into a server's table.
    public var handlers: RPCHandlers {
        var h = RPCHandlers()
        h.unary(Self.checkMethod) { [self] (request: ApusV1.HealthCheckRequest, _) in
            guard let status = status(of: request.service) else {
                throw RPCError(.notFound, "unknown service \"\(request.service)\"")
            }
            return ApusV1.HealthCheckResponse(status: status)
        }
        h.serverStreaming(Self.watchMethod) {
            [self] (request: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.HealthCheckResponse>) in
            for await status in watch(request.service) {
                try writer.send(ApusV1.HealthCheckResponse(status: status))
            }
        }
        return h
    }

    /// The current status at once (SERVICE_UNKNOWN if unregistered), then every change, until cancelled.
    func watch(_ service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream<Status>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = state.withLockedValue { s -> Int in
            s.nextWatcher += 1
            s.watchers[s.nextWatcher] = (service, continuation)
            continuation.yield(s.statuses[service] ?? .serviceUnknown)
            return s.nextWatcher
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}
