import Logging
import Synchronization
import Wire

@testable import RequestRouting

/// A `RouterService` in front of fake engines, with a client.
///
/// When every engine is in process, the router is served in process too and nothing uses a socket; otherwise it is
/// served by a real RPCServer on 127.0.0.1 and reaches its socket engines over TCP.
final class RouterHarness: Sendable {
    let service: RouterService
    let client: any RPCCaller
    private let task: Task<Void, any Error>

    /// Starts a router over `engines` and waits until every one is ready.
    init(
        _ engines: [ScriptedEngine], policy: PolicyKind = .leastLoaded, resolver: any AddressResolver = SystemResolver(),
        configure: (inout RouterServiceConfig) -> Void = { _ in }
    ) async throws {
        var config = RouterServiceConfig(core: RouterConfig(policy: policy))
        config.healthCheckInterval = .milliseconds(200)
        config.tickInterval = .milliseconds(20)
        configure(&config)
        var logger = Logger(label: "test.router")
        logger.logLevel = .critical
        let service = try RouterService(config: config, resolver: resolver, logger: logger)
        let inProcess = !engines.isEmpty && engines.allSatisfy(\.isInProcess)
        for engine in engines {
            if engine.isInProcess {
                try service.addEngine(named: engine.address, client: engine.client)
            } else {
                try await service.addEngine(engine.address)
            }
        }
        self.service = service
        if inProcess {
            task = Task { try await service.run() }
            client = InProcessRPCClient(handlers: service.handlers, identity: .init(service: "router"), service: "test")
        } else {
            let server = RPCServer(
                host: "127.0.0.1", port: 0, identity: .init(service: "router"), handlers: service.handlers)
            task = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await service.run() }
                    group.addTask { try await server.run() }
                    try await group.waitForAll()
                }
            }
            let port = try await server.boundAddress().port!
            client = RPCClient(host: "127.0.0.1", port: port, configuration: .init(service: "test"))
        }
        // NOTE: set-up, not a property under test: the first probes of a fresh router can wait several seconds for a
        // thread when the suites' simulations and other processes load a 2-core machine.
        try await waitUntil("every engine is ready", timeout: .seconds(20)) {
            let list = try await self.backends()
            return list.count == engines.count && list.allSatisfy { $0.state == .ready }
        }
    }

    func stop() async {
        await client.close()
        task.cancel()
    }

    func backends() async throws -> [ApusV1.Backend] {
        try await client.unary(RouterService.Method.listBackends, ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            .backends
    }

    func state(of engine: ScriptedEngine) async throws -> ApusV1.BackendState? {
        try await backends().first { $0.address == engine.address }?.state
    }

    /// Streams one request to its end: the outputs, and the error the stream ended with (if any).
    func generate(_ id: String, prompt: [Int32] = Array(0..<20), loraName: String = "") async
        -> (outputs: [ApusV1.GenerateOutput], error: RPCError?)
    {
        var outputs: [ApusV1.GenerateOutput] = []
        do {
            let request = ApusV1.GenerateRequest(requestID: id, promptTokenIDs: prompt, loraName: loraName)
            for try await output in try await client.serverStream(
                RouterService.Method.generate, request, as: ApusV1.GenerateOutput.self)
            {
                outputs.append(output)
            }
            return (outputs, nil)
        } catch {
            return (outputs, RPCError.from(error))
        }
    }

    /// Polls `condition` every 10 ms until it holds; fails after `timeout`.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(5), _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RPCError(.deadlineExceeded, "timed out waiting until \(what)")
    }
}

/// A resolver whose answers the test sets.
final class ScriptedResolver: AddressResolver {
    private let answers = Mutex<[String: [String]]>([:])

    func set(_ host: String, _ ips: [String]) { answers.withLock { $0[host] = ips } }

    func resolve(host: String) async throws -> [String] {
        guard let ips = answers.withLock({ $0[host] }) else { throw RPCError(.notFound, "\(host) does not resolve") }
        return ips
    }
}
