import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import Wire

/// The router's networking layer (docs/architecture.md §7): an `Engine` server in front of many engine-cores and an
/// `Engine` client of each, around one pure `RouterCore`.
///
/// `handlers` serves `apus.v1.Engine` (Generate forwarded to the chosen engine with retries before the first
/// output; Abort to the owning engine; GetLoad / WatchLoad aggregated; GetModelInfo from the engines, which
/// must agree), the `apus.v1.Router` admin service and `Health` (SERVING while a request can be placed: an
/// engine is ready, or one is only passively ejected and panic mode would use it).
/// `run()` is the `Service`: it ticks the core every `tickInterval` (hung engines, drains, timeouts, metrics)
/// and re-resolves DNS names. Each member engine has an `EngineMonitor` whose loops feed the core.
public final class RouterService: Service, Sendable {
    /// Full method names of the services the router serves and calls.
    public typealias Method = RPCMethod

    /// The model the engines agreed on, and the prompt hasher derived from it.
    struct Model: Sendable {
        var info: ApusV1.ModelInfo?
        var hasher: PromptHasher?
    }

    public let config: RouterServiceConfig
    /// Health of the router itself: "" and "apus.v1.Engine" are SERVING while an engine is ready.
    public let health: HealthService
    let core: LockedRouterCore
    let active = ActiveRequests()
    let metrics: RouterMetrics
    let resolver: any AddressResolver
    let logger: Logger
    let monitors = Mutex<[EngineID: EngineMonitor]>([:])
    /// DNS names (`host:port`) whose answers are members, re-resolved periodically.
    let origins = Mutex<Set<String>>([])
    let model = Mutex(Model())
    let usesPrefix: Bool
    /// Aborts for engines whose clients went away, sent by `run()`'s abort loop (a cancelled handler cannot).
    let pendingAborts: AsyncStream<(requestID: String, engine: EngineID)>.Continuation
    private let abortsToSend: AsyncStream<(requestID: String, engine: EngineID)>
    /// PD mode (set on the decode pool's service, the one that serves): the prefill pool and what pairs the legs.
    let pd: Disaggregation?

    /// A router over one pool, or with `config.prefillPool` a PD router: this service routes the decode pool and
    /// owns a second one for the prefill pool (docs/disaggregation.md §4).
    public convenience init(
        config: RouterServiceConfig, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        resolver: any AddressResolver = SystemResolver(), logger: Logger = Logger(label: "apus.router")
    ) throws(RouterConfigError) {
        try self.init(
            config: config, registry: registry, resolver: resolver, logger: logger,
            pool: config.prefillPool == nil ? nil : .decode)
    }

    /// `pool`: nil for an ordinary router, `.decode` for a PD router (it makes its prefill pool's service),
    /// `.prefill` for that prefill pool's service.
    private init(
        config: RouterServiceConfig, registry: PrometheusCollectorRegistry, resolver: any AddressResolver,
        logger: Logger, pool: EnginePool?
    ) throws(RouterConfigError) {
        var logger = logger
        if let pool { logger[metadataKey: "pool"] = "\(pool.rawValue)" }
        self.config = config
        self.core = LockedRouterCore(try RouterCore(config: config.core))
        self.metrics = RouterMetrics(registry: registry, pool: pool?.rawValue)
        self.resolver = resolver
        self.logger = logger
        self.usesPrefix = config.core.policy == .prefixAware
        (abortsToSend, pendingAborts) = AsyncStream.makeStream()
        self.health = HealthService(statuses: ["": .notServing, "apus.v1.Engine": .notServing, "apus.v1.Router": .serving])
        if pool == .decode, let prefillCore = config.prefillPool {
            var prefillConfig = config
            prefillConfig.prefillPool = nil
            prefillConfig.core = prefillCore
            prefillConfig.core.maxAttempts = 1
            let prefill = try RouterService(
                config: prefillConfig, registry: registry, resolver: resolver, logger: logger, pool: .prefill)
            self.pd = Disaggregation(prefill: prefill, metrics: PDMetrics(registry: registry))
        } else {
            self.pd = nil
        }
    }

    /// Ticks the core and re-resolves DNS names until graceful shutdown; then stops watching the engines.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.tickLoop() }
                group.addTask { await self.dnsLoop() }
                group.addTask { await self.abortLoop() }
                if let pd = self.pd {
                    group.addTask { try? await pd.prefill.run() }
                    group.addTask { await self.releaseLoop(pd) }
                }
            }
        }
        health.setAll(.notServing)
        let all = monitors.withLock { table in
            defer { table.removeAll() }
            return Array(table.values)
        }
        all.forEach { $0.stop() }
    }

    /// Every member with its state, in-flight count, last load and engine id (`ListBackends`); in PD mode the
    /// prefill pool's members first, then the decode pool's.
    public func backendList() -> ApusV1.BackendList {
        let infos = core.withCore { $0.listBackends() }
        let table = monitors.withLock { $0 }
        return ApusV1.BackendList(
            backends: (pd?.prefill.backendList().backends ?? []) + infos.map { info in
                let monitor = table[info.id]
                return ApusV1.Backend(
                    address: info.id.rawValue, state: ApusV1.BackendState(info.state), inFlight: UInt32(info.inFlight),
                    load: monitor?.load, engineID: monitor?.info?.engineID ?? "")
            })
    }

    /// Sends each queued abort, several at once (each bounded by `abortTimeout`).
    private func abortLoop() async {
        await withDiscardingTaskGroup { group in
            for await (requestID, engine) in abortsToSend {
                group.addTask { await self.abort([requestID], on: engine) }
            }
        }
    }

    private func tickLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.tickInterval)
            tick()
        }
    }

    /// One tick: hung engines fail over, drained engines leave, upstream timeouts fire, gauges update.
    func tick() {
        let now = core.now()
        let (result, backends, stats) = core.withCore { core in (core.tick(now: now), core.listBackends(), core.stats) }
        for action in result.health { handle([action.action], for: action.engine) }
        for id in result.drained {
            logger.info("engine \(id) drained; removing it")
            removeBackend(id)
        }
        let firstOutput = config.firstTokenTimeout.nanoseconds
        let idle = config.idleTimeout.nanoseconds
        for control in active.all { control.enforceTimeouts(now: now, firstOutput: firstOutput, idle: idle) }
        metrics.update(backends)
        metrics.record(stats)
        updateReadiness()
    }

    /// Carries out the core's health actions for `id`: logs, metrics, and failing over a hung engine's requests.
    func handle(_ actions: [HealthAction], for id: EngineID) {
        guard !actions.isEmpty else { return }
        for action in actions {
            switch action {
            case .eject(let reason):
                logger.warning("engine \(id) takes no new requests: \(reason.rawValue)")
                metrics.ejected(id, reason: reason)
                if reason == .hung {
                    failOver(id, RPCError(.deadlineExceeded, "engine \(id) made no progress while it had work (hung)"))
                }
            case .admit: logger.info("engine \(id) is ready")
            case .markFailed: logger.error("engine \(id) failed its health checks")
            case .ejectionSkipped:
                logger.warning("engine \(id) keeps taking requests: the max ejection percent is reached")
            case .startProbing, .readmitAfter: break
            }
        }
        updateReadiness()
    }

    /// Ends every attempt running on `id`: those without output are retried elsewhere, the others fail.
    func failOver(_ id: EngineID, _ error: RPCError) {
        for requestID in core.withCore({ $0.requests(on: id) }) {
            active[requestID]?.kill(.timedOut, error, onlyOn: id)
        }
    }

    /// Feeds a health event about `id` to the core and acts on the result.
    func feed(_ event: HealthEvent, for id: EngineID) {
        let now = core.now()
        handle(core.withCore { $0.handle(event, for: id, now: now) }, for: id)
    }

    /// SERVING while a request can be placed (an engine is ready or panic-eligible).
    func updateReadiness() {
        let ready = core.withCore { $0.canDispatch }
        let status: HealthService.Status = ready ? .serving : .notServing
        health.setStatus(status)
        health.setStatus(status, for: "apus.v1.Engine")
    }
}
