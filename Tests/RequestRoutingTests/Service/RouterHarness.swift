import Logging
import Prometheus
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
    let registry = PrometheusCollectorRegistry()
    private let task: Task<Void, any Error>

    /// Starts a router over `engines` and waits until every one is ready. With `prefill` engines the router is in PD
    /// mode: `engines` are the decode pool (policy `policy`), `prefill` the prefill pool (policy `prefillPolicy`).
    init(
        _ engines: [ScriptedEngine], prefill: [ScriptedEngine] = [], policy: PolicyKind = .leastLoaded,
        prefillPolicy: PolicyKind = .prefixAware, resolver: any AddressResolver = SystemResolver(),
        configure: (inout RouterServiceConfig) -> Void = { _ in }
    ) async throws {
        var config = RouterServiceConfig(core: RouterConfig(policy: policy))
        config.healthCheckInterval = .milliseconds(200)
        config.tickInterval = .milliseconds(20)
        if !prefill.isEmpty { config.prefillPool = RouterConfig(policy: prefillPolicy) }
        configure(&config)
        var logger = Logger(label: "test.router")
        logger.logLevel = .critical
        let service = try RouterService(config: config, registry: registry, resolver: resolver, logger: logger)
        let all = prefill + engines
        let inProcess = !all.isEmpty && all.allSatisfy(\.isInProcess)
        for (pool, members) in [(EnginePool.prefill, prefill), (.decode, engines)] {
            for engine in members {
                if engine.isInProcess {
                    try service.addEngine(
                        named: engine.address, client: engine.client, caller: engine.caller, pool: pool)
                } else {
                    try await service.addEngine(engine.address, to: pool)
                }
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
            return list.count == all.count && list.allSatisfy { $0.state == .ready }
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
        await generate(ApusV1.GenerateRequest(requestID: id, promptTokenIDs: prompt, loraName: loraName))
    }

    /// Streams `request` to its end: the outputs, and the error the stream ended with (if any).
    func generate(_ request: ApusV1.GenerateRequest) async -> (outputs: [ApusV1.GenerateOutput], error: RPCError?) {
        var outputs: [ApusV1.GenerateOutput] = []
        do {
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

    /// The router's /metrics text.
    func metricsText() -> String {
        registry.emitToString()
    }

    /// The value of one series in /metrics (`name{labels}` exactly as emitted), 0 when absent.
    func metric(_ series: String) -> Double {
        for line in metricsText().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
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
