import ArgumentParser
import Foundation
import RequestRouting
import NIOPosix
import ServiceLifecycle
import Wire

/// `apus router`: spreads Generate requests over engine-cores (docs/architecture.md §7); an `Engine` server and
/// client at once.
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router", abstract: "Route Engine requests over many engine-cores (policies, health, retries).")

    @OptionGroup var service: ServiceOptions

    @Option(name: .customLong("engine"), help: "HOST:PORT of an engine-core (repeatable; DNS names are re-resolved).")
    var engines: [String] = []

    @Option(help: "prefix_aware (default), least_loaded, power_of_two, round_robin or session.")
    var policy: String?

    @Flag(
        name: .customLong("pd-disaggregation"),
        help: """
            Disaggregated prefill and decode: each request's prompt is computed on a --prefill engine-core (a \
            producer), whose KV blocks a --decode engine-core (a consumer) pulls to generate every token.
            """)
    var pdDisaggregation = false

    @Option(
        name: .customLong("prefill"), help: "With --pd-disaggregation: HOST:PORT of a producer engine-core (repeatable).")
    var prefill: [String] = []

    @Option(
        name: .customLong("decode"), help: "With --pd-disaggregation: HOST:PORT of a consumer engine-core (repeatable).")
    var decode: [String] = []

    @Option(
        name: .customLong("prefill-policy"),
        help: "With --pd-disaggregation: the prefill pool's policy (default prefix_aware).")
    var prefillPolicy: String?

    @Option(
        name: .customLong("decode-policy"),
        help: "With --pd-disaggregation: the decode pool's policy (default least_loaded).")
    var decodePolicy: String?

    @Option(name: .customLong("max-attempts"), help: "Attempts per request, the first included (retries only before output).")
    var maxAttempts: Int = 3

    @Option(name: .customLong("connect-timeout"), help: "Seconds to connect to an engine.")
    var connectTimeout: Double = 2

    @Option(name: .customLong("first-token-timeout"), help: "Seconds an engine may take to its first output.")
    var firstTokenTimeout: Double = 300

    @Option(name: .customLong("idle-timeout"), help: "Seconds an engine may go between outputs.")
    var idleTimeout: Double = 60

    @Option(name: .customLong("health-check-interval"), help: "Seconds between Health.Check probes of each engine.")
    var healthCheckInterval: Double = 1

    @Option(
        name: [.customLong("hung-after"), .customLong("hung-floor")],
        help: """
            Floor of hung detection, seconds: an engine with work is hung when its load reports stop this long, or \
            its step counter stands still this long between steps; no step in flight is hung sooner.
            """)
    var hungAfter: Double = 2

    @Option(
        name: .customLong("hung-step-multiple"),
        help: """
            A step in flight is hung once it runs past max(--hung-after, this × its expected time: recent time per \
            token × its tokens), >= 1.
            """)
    var hungStepMultiple: Double = 3

    @Option(name: .customLong("base-ejection-time"), help: "Seconds an engine is ejected after consecutive transport errors (× the ejection count, at most 10×).")
    var baseEjectionTime: Double = 30

    @Option(name: .customLong("dns-refresh-interval"), help: "Seconds between re-resolutions of engine DNS names.")
    var dnsRefreshInterval: Double = 10

    @Option(
        name: .customLong("retry-budget-percent"),
        help: "Retries in flight may be at most this percentage of the requests in flight, 0-100.")
    var retryBudgetPercent: Double = 20

    @Option(
        name: .customLong("min-retry-concurrency"),
        help: "Retries in flight always allowed whatever the budget, >= 0.")
    var minRetryConcurrency: Int = 3

    @Option(
        name: .customLong("max-ejection-percent"),
        help: "At most this percentage of the engines may be passively ejected at once, 0-100; one always may.")
    var maxEjectionPercent: Double = 50

    @Option(
        name: .customLong("ejection-jitter-percent"),
        help: "Each passive ejection lasts up to this percentage of its length longer, 0-100.")
    var ejectionJitterPercent: Double = 10

    @Flag(
        inversion: .prefixedNo,
        help: """
            LoRA adapter affinity: a request with an adapter goes to an engine that recently ran it (its runners \
            probably still hold it), unless that engine is over the load bound of prefix_aware.
            """)
    var loraAffinity = true

    @Option(
        name: .customLong("lora-affinity-adapters-per-engine"),
        help: """
            How many distinct adapters, the last ones sent, an engine counts as holding: its runners' \
            --max-cpu-loras, 1-\(AdapterAffinityConfig.maxAdaptersPerEngine).
            """)
    var loraAffinityAdaptersPerEngine = 4

    @Option(
        name: .customLong("event-loop-threads"),
        help: "Threads serving clients and engine connections, >= 1. With one, a request never changes threads in the router; more spread the work but add a hop where a client's and an engine's connections sit on different threads.")
    var eventLoopThreads: Int = 1

    func validate() throws {
        try validatePools()
        guard (1...AdapterAffinityConfig.maxAdaptersPerEngine).contains(loraAffinityAdaptersPerEngine) else {
            throw ValidationError(
                "--lora-affinity-adapters-per-engine must be between 1 and "
                    + "\(AdapterAffinityConfig.maxAdaptersPerEngine) (the engines' --max-cpu-loras), "
                    + "got \(loraAffinityAdaptersPerEngine)")
        }
        guard eventLoopThreads >= 1 else {
            throw ValidationError("--event-loop-threads must be 1 or more, got \(eventLoopThreads)")
        }
        guard (0...100).contains(retryBudgetPercent) else {
            throw ValidationError("--retry-budget-percent must be between 0 and 100, got \(retryBudgetPercent)")
        }
        guard minRetryConcurrency >= 0 else {
            throw ValidationError("--min-retry-concurrency must be 0 or more, got \(minRetryConcurrency)")
        }
        guard hungStepMultiple >= 1, hungStepMultiple.isFinite else {
            throw ValidationError("--hung-step-multiple must be a number >= 1, got \(hungStepMultiple)")
        }
        guard (0...100).contains(maxEjectionPercent) else {
            throw ValidationError("--max-ejection-percent must be between 0 and 100, got \(maxEjectionPercent)")
        }
        guard (0...100).contains(ejectionJitterPercent) else {
            throw ValidationError("--ejection-jitter-percent must be between 0 and 100, got \(ejectionJitterPercent)")
        }
    }

    /// The PD flags go together and only with --pd-disaggregation; every policy name is known.
    private func validatePools() throws {
        let policies = [("--policy", policy), ("--prefill-policy", prefillPolicy), ("--decode-policy", decodePolicy)]
        for case (let flag, let name?) in policies { _ = try Self.policyKind(name, flag: flag) }
        guard pdDisaggregation else {
            let stray = [
                ("--prefill", !prefill.isEmpty), ("--decode", !decode.isEmpty),
                ("--prefill-policy", prefillPolicy != nil), ("--decode-policy", decodePolicy != nil),
            ].filter(\.1).map(\.0)
            guard stray.isEmpty else {
                throw ValidationError("\(stray.joined(separator: ", ")) only go with --pd-disaggregation")
            }
            return
        }
        guard engines.isEmpty else {
            throw ValidationError(
                "--engine does not go with --pd-disaggregation: give the pools with --prefill and --decode")
        }
        guard policy == nil else {
            throw ValidationError(
                "--policy does not go with --pd-disaggregation: use --prefill-policy and --decode-policy")
        }
        guard !prefill.isEmpty, !decode.isEmpty else {
            throw ValidationError(
                "--pd-disaggregation needs at least one --prefill and one --decode engine-core, got \(prefill.count) "
                    + "and \(decode.count)")
        }
    }

    static func policyKind(_ name: String, flag: String) throws -> PolicyKind {
        guard let kind = PolicyKind(rawValue: name) else {
            throw ValidationError(
                "\(flag) must be one of \(PolicyKind.allCases.map(\.rawValue).joined(separator: ", ")), got \(name)")
        }
        return kind
    }

    func run() async throws {
        let registry = ProcessSetup.bootstrap(logLevel: service.logLevel)
        let logger = service.makeLogger("apus.router")
        let kind =
            pdDisaggregation
            ? try Self.policyKind(decodePolicy ?? PolicyKind.leastLoaded.rawValue, flag: "--decode-policy")
            : try Self.policyKind(policy ?? PolicyKind.prefixAware.rawValue, flag: "--policy")
        var core = RouterConfig(policy: kind)
        core.maxAttempts = maxAttempts
        core.health.hungAfter = Self.seconds(hungAfter).nanosecondsCount
        core.health.hungStepMultiple = hungStepMultiple
        core.health.baseEjectionTime = Self.seconds(baseEjectionTime).nanosecondsCount
        core.health.maxEjectionTime = core.health.baseEjectionTime * 10
        core.health.maxEjectionPercent = maxEjectionPercent
        core.health.ejectionJitterPercent = ejectionJitterPercent
        core.loraAffinity = AdapterAffinityConfig(
            enabled: loraAffinity, adaptersPerEngine: loraAffinityAdaptersPerEngine)
        core.retryBudget = RetryBudget(retryBudgetPercent: retryBudgetPercent, minRetryConcurrency: minRetryConcurrency)
        var config = RouterServiceConfig(core: core)
        if pdDisaggregation {
            var prefillCore = core
            prefillCore.policy = try Self.policyKind(
                prefillPolicy ?? PolicyKind.prefixAware.rawValue, flag: "--prefill-policy")
            config.prefillPool = prefillCore
        }
        config.authToken = service.authToken
        config.tls = service.clientTLS()
        config.connectTimeout = Self.seconds(connectTimeout)
        config.firstTokenTimeout = Self.seconds(firstTokenTimeout)
        config.idleTimeout = Self.seconds(idleTimeout)
        config.healthCheckInterval = Self.seconds(healthCheckInterval)
        config.dnsRefreshInterval = Self.seconds(dnsRefreshInterval)
        // NOTE: never shut down: it lives as long as the process.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: eventLoopThreads)
        config.eventLoopGroup = loops
        let router: RouterService
        do {
            router = try RouterService(config: config, registry: registry, logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        for engine in engines {
            do { try await router.addEngine(engine) } catch { throw ValidationError("--engine \(engine): \(error)") }
        }
        for (flag, pool, addresses) in [("--prefill", EnginePool.prefill, prefill), ("--decode", .decode, decode)] {
            for engine in addresses {
                do {
                    try await router.addEngine(engine, to: pool)
                } catch {
                    throw ValidationError("\(flag) \(engine): \(error)")
                }
            }
        }
        let server = RPCServer(
            host: service.host, port: service.port,
            identity: .init(service: "router", authToken: service.authToken.nilIfEmpty, tls: service.serverTLS()),
            handlers: router.handlers, group: loops,
            logger: logger)
        let admin = service.adminPort >= 0
            ? AdminServer(host: service.host, port: service.adminPort, health: router.health, registry: registry) : nil
        try await runServices([router, server] + (admin.map { [$0] } ?? []), logger: logger) {
            announce("router", wire: try await server.boundAddress(), admin: try await admin?.boundAddress())
        }
    }

    static func seconds(_ value: Double) -> Duration { .nanoseconds(Int64(max(value, 0.001) * 1e9)) }
}

extension Duration {
    fileprivate var nanosecondsCount: UInt64 {
        UInt64(components.seconds) * 1_000_000_000 + UInt64(components.attoseconds / 1_000_000_000)
    }
}
