import ArgumentParser
import ModelRuntime
import Foundation
import Logging
import RequestRouting
import ServiceLifecycle
import Wire

/// `apus serve`: the whole cluster on this machine in one command — runners, engine-cores, router, api — as child
/// processes on loopback, with the embedded default model unless `--model` is given.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the whole cluster on this machine and serve the OpenAI API (embedded model by default).")

    @Option(help: "HTTP host for the OpenAI API.") var host: String = "127.0.0.1"
    @Option(help: "HTTP port for the OpenAI API.") var port: Int = 8000
    @Option(help: "embedded, dummy, a GGUF file or a Hugging Face model directory.") var model: String = "embedded"
    @Option(help: "Passed to the runners: auto (as stored), float32, float16 or bfloat16.")
    var dtype: WeightDType = .auto
    @Option(help: "Passed to the api: a GGUF file or a directory with tokenizer.json (default: the model's).")
    var tokenizer: String?
    @Option(name: .customLong("data-parallel-size"), help: "Engine-core replicas, each with its own runner.")
    var dataParallelSize: Int = 1
    @Option(
        name: .customLong("pipeline-parallel-size"),
        help: "Runners per replica, each holding a contiguous range of the model's layers (pipeline stages).")
    var pipelineParallelSize: Int = 1
    @Option(name: .customLong("api-key")) var apiKey: String?
    @Option(name: .customLong("served-model-name")) var servedModelName: String?
    @Option(name: .customLong("memory-budget"), help: "Per runner.") var memoryBudget: String = "2GiB"
    @Option(name: .customLong("override-generation-config"), help: "Passed to the api: sampling defaults as JSON.")
    var overrideGenerationConfig: String?
    @Option(name: .customLong("policy"), help: "Router policy (default prefix_aware; with --pd, the decode pool's).")
    var policy: String?
    @Option(
        name: .customLong("pd"),
        help: """
            Disaggregated prefill and decode, XPYD (e.g. 1P1D, 2P1D): X producer and Y consumer engine-cores, each \
            with its own runner, behind a router in PD mode (docs/disaggregation.md).
            """)
    var pd: String?
    @Option(name: .customLong("hung-after"), help: "Passed to the router (seconds).") var hungAfter: Double = 2
    @Option(name: .customLong("hung-step-multiple"), help: "Passed to the router.") var hungStepMultiple: Double = 3
    /// Passed to every engine-core (`--max-model-len` to the runners too).
    @OptionGroup(title: "Scheduling") var scheduling: SchedulingOptions
    /// Passed to the api.
    @OptionGroup(title: "HTTP limits") var httpLimits: HTTPLimitsOptions
    /// Passed to the api; --enable-lora and --max-loras (Scheduling) go to the engine-cores, these to the runners.
    @OptionGroup(title: "LoRA") var lora: APILoRAOptions
    @Option(name: .customLong("max-lora-rank"), help: "With --enable-lora: passed to the runners.")
    var maxLoRARank: Int = 16
    @Option(name: .customLong("max-cpu-loras"), help: "With --enable-lora: adapters each runner keeps loaded.")
    var maxCPULoRAs: Int?
    @Flag(
        name: .customLong("tls"),
        help: "Run every internal link (api → router → engine-cores → runners) on mutual TLS with a throwaway CA.")
    var tls = false
    @Option(name: .customLong("log-level")) var logLevel: String = "info"
    @Flag(name: .customLong("enable-auto-tool-choice"), help: "Passed to the api (tool calling).")
    var enableAutoToolChoice = false
    @Option(name: .customLong("tool-call-parser"), help: "Passed to the api: hermes, llama3_json or mistral.")
    var toolCallParser: String?
    @Flag(name: .customLong("exclude-tools-when-tool-choice-none"), help: "Passed to the api.")
    var excludeToolsWhenToolChoiceNone = false

    func validate() throws {
        guard (1...64).contains(dataParallelSize) else { throw ValidationError("--data-parallel-size must be 1...64") }
        guard (1...64).contains(pipelineParallelSize) else {
            throw ValidationError("--pipeline-parallel-size must be 1...64")
        }
        if let topology = try pdTopology() {
            guard dataParallelSize == 1 else {
                throw ValidationError(
                    "--pd does not go with --data-parallel-size: XPYD already says how many engine-cores")
            }
            guard pipelineParallelSize == 1 else {
                throw ValidationError("--pd does not support --pipeline-parallel-size > 1 yet")
            }
            guard topology.prefill + topology.decode <= 64 else {
                throw ValidationError("--pd \(topology): at most 64 engine-cores in all")
            }
        }
        let options = try scheduling.engineOptions()  // bad scheduler flags fail here, before any child starts
        if options.speculative != nil && pipelineParallelSize > 1 {
            throw ValidationError("--speculative-config is not supported with --pipeline-parallel-size > 1 yet")
        }
        if !lora.loraModules.isEmpty && !scheduling.enableLoRA {
            throw ValidationError("--lora-modules requires --enable-lora")
        }
        _ = try lora.modules()
        // The api checks the parser name and the combination too; failing here saves starting every child first.
        if enableAutoToolChoice && toolCallParser == nil {
            throw ValidationError("--enable-auto-tool-choice requires --tool-call-parser")
        }
    }

    func run() async throws {
        var logger = Logger(label: "apus.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let cluster = ClusterService(command: self, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: cluster)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// `--pd` parsed; nil without it.
    func pdTopology() throws -> PDTopology? {
        guard let pd else { return nil }
        do { return try PDTopology(parsing: pd) } catch { throw ValidationError("--pd: \(error)") }
    }

    var common: [String] { ["--host", "127.0.0.1", "--port", "0", "--admin-port", "0", "--log-level", logLevel] }

    func runnerArgs(stage: Int) -> [String] {
        let weights: [String] = ["--model", model, "--memory-budget", memoryBudget, "--dtype", dtype.rawValue]
        return ["runner"] + common + weights
            + ["--pipeline-stage", "\(stage)/\(pipelineParallelSize)"]
            + (scheduling.maxModelLen.map { ["--max-model-len", "\($0)"] } ?? [])
            + (servedModelName.map { ["--served-model-name", $0] } ?? [])
            + (scheduling.speculativeConfig.map { ["--speculative-config", $0] } ?? [])
            + (scheduling.enableLoRA ? ["--enable-lora", "--max-lora-rank", "\(maxLoRARank)"] : [])
            + (scheduling.enableLoRA ? maxCPULoRAs.map { ["--max-cpu-loras", "\($0)"] } ?? [] : [])
    }

    /// `pool` in PD mode: the engine-core is a producer (prefill) or a consumer (decode).
    func engineArgs(runners: [String], index: Int, pool: EnginePool? = nil) -> [String] {
        let role: [String] =
            switch pool {
            case .prefill: ["--kv-role", "producer"]
            case .decode: ["--kv-role", "consumer"]
            case nil: []
            }
        return ["engine-core"] + common + runners.flatMap { ["--runner", $0] }
            + ["--engine-id", "\(pool?.rawValue ?? "engine")-\(index)"] + role
            + scheduling.arguments
            + (servedModelName.map { ["--served-model-name", $0] } ?? [])
    }

    /// The router over `engines`, or with `--pd` over the two pools.
    func routerArgs(engines: [EnginePool?: [String]]) -> [String] {
        let pools: [String] =
            pd == nil
            ? ["--policy", policy ?? PolicyKind.prefixAware.rawValue]
                + (engines[nil] ?? []).flatMap { ["--engine", $0] }
            : ["--pd-disaggregation"] + (policy.map { ["--decode-policy", $0] } ?? [])
                + (engines[.prefill] ?? []).flatMap { ["--prefill", $0] }
                + (engines[.decode] ?? []).flatMap { ["--decode", $0] }
        return ["router"] + common + ["--hung-after", "\(hungAfter)", "--hung-step-multiple", "\(hungStepMultiple)"]
            + pools
    }

    /// `--tokenizer`, else the model's own: a GGUF file, or a directory's tokenizer.json. The embedded and dummy
    /// models, and a directory without one (a bare checkpoint), leave the api its embedded tokenizer.
    var tokenizerArgs: [String] {
        if let tokenizer { return ["--tokenizer", tokenizer] }
        var isDirectory: ObjCBool = false
        guard !["embedded", "dummy"].contains(model),
            FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory)
        else { return [] }
        let hasTokenizer = FileManager.default.fileExists(
            atPath: URL(fileURLWithPath: model).appendingPathComponent("tokenizer.json").path)
        return !isDirectory.boolValue || hasTokenizer ? ["--tokenizer", model] : []
    }

    func apiArgs(upstream: String) -> [String] {
        ["api", "--host", host, "--port", "\(port)", "--admin-port", "0", "--upstream", upstream, "--log-level", logLevel]
            + (apiKey.map { ["--api-key", $0] } ?? [])
            + (servedModelName.map { ["--served-model-name", $0] } ?? [])
            + tokenizerArgs
            + (overrideGenerationConfig.map { ["--override-generation-config", $0] } ?? [])
            + (enableAutoToolChoice ? ["--enable-auto-tool-choice"] : [])
            + (toolCallParser.map { ["--tool-call-parser", $0] } ?? [])
            + (excludeToolsWhenToolChoiceNone ? ["--exclude-tools-when-tool-choice-none"] : [])
            + httpLimits.arguments + lora.arguments
    }
}

/// Starts the children in dependency order and supervises them: a child that dies is started again on its ports
/// with backoff while the others keep serving (engine-cores recover a lost runner's requests, the router retries
/// a lost engine-core's, the api reconnects). On Ctrl-C or SIGTERM every child gets SIGTERM at once and SIGKILL
/// after `stopGrace`.
struct ClusterService: Service {
    let command: ServeCommand
    let logger: Logger
    static let stopGrace: Duration = .seconds(10)

    func run() async throws {
        let supervisor = Supervisor(logger: logger)
        let pki = try command.tls ? makePKI() : nil
        defer { if let pki { try? FileManager.default.removeItem(at: pki.directory) } }
        /// A child's TLS flags: the wire services require client certificates; the api only dials.
        func tls(_ service: String, serves: Bool = true) throws -> [String] {
            guard let pki else { return [] }
            let (certificate, key) = try pki.issue(service)
            return ["--tls-cert", certificate, "--tls-key", key, "--tls-ca", pki.caCertificate]
                + (serves ? ["--tls-require-client-cert"] : [])
        }
        do {
            var engines: [EnginePool?: [String]] = [:]
            let pools: [(EnginePool?, Int)] =
                if let topology = try command.pdTopology() {
                    [(.prefill, topology.prefill), (.decode, topology.decode)]
                } else {
                    [(nil, command.dataParallelSize)]
                }
            for (pool, count) in pools {
                let prefix = pool.map { "\($0.rawValue)-" } ?? ""
                for i in 0..<count {
                    var runners: [String] = []
                    for stage in 0..<command.pipelineParallelSize {
                        let stageSuffix = command.pipelineParallelSize > 1 ? "-stage-\(stage)" : ""
                        let name = "runner-\(prefix)\(i)\(stageSuffix)"
                        runners.append(
                            try await supervisor.launch(name, command.runnerArgs(stage: stage) + tls("runner"))
                                .address("wire")!)
                    }
                    let engine = try await supervisor.launch(
                        "engine-core-\(prefix)\(i)",
                        command.engineArgs(runners: runners, index: i, pool: pool) + tls("engine-core"))
                    engines[pool, default: []].append(engine.address("wire")!)
                }
            }
            let router = try await supervisor.launch("router", command.routerArgs(engines: engines) + tls("router"))
            let api = try await supervisor.launch(
                "api", command.apiArgs(upstream: router.address("wire")!) + tls("api", serves: false))
            let url = "http://\(api.address("http") ?? "\(command.host):\(command.port)")/v1"
            FileHandle.standardOutput.write(
                Data("Apus is serving the OpenAI API at \(url)  (Ctrl-C stops the cluster)\n".utf8))
            await cancelWhenGracefulShutdown { await supervisor.supervise() }
        } catch {
            await supervisor.stopAll(grace: Self.stopGrace)
            throw error
        }
        logger.info("stopping the cluster")
        await supervisor.stopAll(grace: Self.stopGrace)
    }

    /// A fresh CA in a private temporary directory (removed when serve stops).
    private func makePKI() throws -> ThrowawayPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "apus-serve-tls-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        let pki = try ThrowawayPKI(directory: directory)
        logger.info("internal links on mutual TLS; throwaway CA \(pki.caCertificate)")
        return pki
    }
}

/// The children of `apus serve` and their restarts.
///
/// NOTE: @unchecked Sendable: `children` is used by one task at a time — the launches, then `supervise`, then
/// `stopAll`, each awaited before the next starts.
final class Supervisor: @unchecked Sendable {
    private var children: [ChildProcess] = []
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Starts a child and waits for it to listen.
    func launch(_ name: String, _ args: [String]) async throws -> ChildProcess {
        let child = try await start(ChildProcess(name: name, arguments: args))
        children.append(child)
        return child
    }

    private func start(_ child: ChildProcess) async throws -> ChildProcess {
        try await child.start()
        logger.info("\(child.name) up: \(child.fields.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
        return child
    }

    /// Restarts dead children until the task is cancelled: after 0.5 s, doubling up to 10 s while restarts keep
    /// failing; a child that stays up for a minute starts from 0.5 s again.
    func supervise() async {
        var backoff = [Duration](repeating: .milliseconds(500), count: children.count)
        var upSince = [ContinuousClock.Instant](repeating: .now, count: children.count)
        while !Task.isCancelled {
            for (i, child) in children.enumerated() {
                if child.isRunning {
                    if upSince[i].duration(to: .now) > .seconds(60) { backoff[i] = .milliseconds(500) }
                    continue
                }
                logger.error("\(child.name) exited with status \(child.exitStatus); restarting it in \(backoff[i])")
                try? await Task.sleep(for: backoff[i])
                if Task.isCancelled { return }
                backoff[i] = min(backoff[i] * 2, .seconds(10))
                let replacement = child.replacement()
                do {
                    children[i] = try await start(replacement)
                    upSince[i] = .now
                } catch {
                    logger.error("\(child.name) did not come back: \(error)")
                    children[i] = replacement
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// SIGTERM to every child at once (the api first), SIGKILL to those still running after `grace`.
    func stopAll(grace: Duration) async {
        for child in children.reversed() { child.terminate() }
        let end = ContinuousClock.now + grace
        while children.contains(where: \.isRunning) && ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for child in children where child.isRunning {
            logger.warning("\(child.name) did not stop within \(grace); killing it")
            child.kill()
        }
        for child in children { child.waitUntilExit() }
    }
}
