import Logging
import ServiceLifecycle

/// Runs a process's services as one `ServiceGroup` with graceful shutdown on SIGTERM / SIGINT; `started` runs once
/// they are up (to print the LISTENING line).
func runServices(
    _ services: [any Service], logger: Logger, started: @escaping @Sendable () async throws -> Void
) async throws {
    let group = ServiceGroup(
        configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        tasks.addTask { try await started() }
        try await tasks.waitForAll()
    }
}
