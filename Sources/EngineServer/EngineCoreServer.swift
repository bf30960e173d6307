import Engine
import Logging
import Prometheus
import ServiceLifecycle
import Wire

/// An engine-core process's services: the engine loop, the RPC server (Engine + Health), readiness upkeep.
///
/// Readiness (Health "" and "apus.v1.Engine") is SERVING exactly while the runner is reachable, the KV cache is
/// initialized and the loop runs; it turns NOT_SERVING while a runner is lost and on shutdown.
public struct EngineCoreServer: Sendable {
    public let engine: EngineCore
    public let service: EngineService
    public let health: HealthService
    public let rpcServer: RPCServer

    public init(engine: EngineCore, service: EngineService, host: String, port: Int, identity: RPCServer.Identity,
                logger: Logger) {
        self.engine = engine
        self.service = service
        self.health = HealthService(statuses: ["": .notServing, "apus.v1.Engine": .notServing])
        var handlers = service.handlers
        handlers.merge(health.handlers)
        self.rpcServer = RPCServer(host: host, port: port, identity: identity, handlers: handlers, logger: logger)
    }

    /// The long-running pieces, for a `ServiceGroup`.
    public var services: [any Service] {
        [EngineLoopService(engine: engine), ReadinessService(engine: engine, health: health), rpcServer]
    }
}

/// Runs the engine loop as a `Service`.
struct EngineLoopService: Service {
    let engine: EngineCore
    func run() async throws {
        await cancelWhenGracefulShutdown { await engine.run() }
    }
}

/// Mirrors the engine's readiness into the health service.
struct ReadinessService: Service {
    let engine: EngineCore
    let health: HealthService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await readiness in engine.state.readinessChanges() {
                let status: HealthService.Status = readiness == .ready ? .serving : .notServing
                health.setStatus(status)
                health.setStatus(status, for: "apus.v1.Engine")
            }
        }
        health.setAll(.notServing)
    }
}
