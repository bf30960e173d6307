import Logging
import ServiceLifecycle

/// Runs a process's services as one `ServiceGroup` with graceful shutdown on SIGTERM / SIGINT; `started` runs once
/// they are up (to print the LISTENING line).
func runServices(
    _ services: [any Service], logger: Logger, started: @escaping @Sendable () async throws -> Void
) async throws {
    var configuration = ServiceGroupConfiguration(
        services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    // NOTE: in-flight calls get the RPC server's 30 s grace; past 40 s the services are cancelled, and if they still
    // have not returned 5 s later the group fails, so the process exits non-zero instead of lingering.
    configuration.maximumGracefulShutdownDuration = .seconds(40)
    configuration.maximumCancellationDuration = .seconds(5)
    let group = ServiceGroup(configuration: configuration)
    ParentLifeline.watchIfAsked()
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        tasks.addTask { try await started() }
        try await tasks.waitForAll()
    }
}
