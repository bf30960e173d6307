import ArgumentParser
import Engine
import EngineServer
import Foundation
import Scheduling
import ServiceLifecycle
import Wire

/// `apus engine-core`: the V1 scheduler and the only KV allocator for one model replica (docs/architecture.md §1.1).
struct EngineCoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine-core", abstract: "Serve the Engine API over one model replica's runner(s).")

    @OptionGroup var service: ServiceOptions

    @Option(
        name: .customLong("runner"),
        help: ArgumentHelp(
            "HOST:PORT of this replica's runner; repeat it for a model split into pipeline stages "
                + "(each runner started with --pipeline-stage I/N), in stage order."))
    var runners: [String] = []

    @OptionGroup var scheduling: SchedulingOptions

    @Option(name: .customLong("served-model-name"), help: "Model name reported by GetModelInfo.")
    var servedModelName: String?

    @Option(name: .customLong("engine-id"), help: "Identifier in load reports and outputs (default: random).")
    var engineID: String?

    @Option(name: .customLong("runner-loss-timeout"), help: "Seconds requests wait for a lost runner before failing.")
    var runnerLossTimeout: Double = 30

    @Option(
        help: ArgumentHelp(
            "A GGUF file or a directory with tokenizer.json, for structured outputs (default: the runner's model's "
                + "file or directory, else the embedded tokenizer)."))
    var tokenizer: String?

    @OptionGroup var kvTransfer: KVTransferOptions

    func run() async throws {
        let registry = ProcessSetup.bootstrap(logLevel: service.logLevel)
        let logger = service.makeLogger("apus.engine-core")
        guard !runners.isEmpty else { throw ValidationError("give --runner HOST:PORT (once per pipeline stage)") }
        let addresses = try runners.map { address in
            guard let hostPort = try? parseHostPort(address) else {
                throw ValidationError("--runner must be HOST:PORT, got \(address)")
            }
            return hostPort
        }
        var clientConfig = RPCClient.Configuration(service: "engine-core")
        clientConfig.authToken = service.authToken
        clientConfig.tls = service.clientTLS()
        clientConfig.keepalive = .init(interval: .seconds(2), timeout: .seconds(3))
        clientConfig.initialBackoff = .milliseconds(50)
        clientConfig.maxBackoff = .milliseconds(500)
        let executor = PipelineExecutor(
            stages: addresses.map { RemoteRunnerExecutor(client: RPCClient(host: $0.0, port: $0.1, configuration: clientConfig)) })
        var options = try scheduling.engineOptions()
        if let spec = options.speculative {
            // NOTE: stages before the last would need the drafts' hidden states handed on; not built yet.
            guard runners.count == 1 else {
                throw ValidationError("--speculative-config is not supported with pipeline stages yet")
            }
            logger.info(
                """
                speculative decoding: \(spec.method.rawValue), up to \(spec.numSpeculativeTokens) drafts per step; \
                scheduling is synchronous
                """)
        }
        options.runnerLossTimeout = .milliseconds(Int(runnerLossTimeout * 1000))
        options.kvTransfer = try kvTransfer.config(host: service.host, port: service.port)
        if options.kvTransfer.role != .both || kvTransfer.role != nil {
            if options.speculative?.runnerProposes == true {
                // NOTE: the draft model's KV would have to travel too; not built.
                throw ValidationError("--kv-role is not supported with a draft_model --speculative-config")
            }
            logger.info("""
                disaggregated prefill/decode: --kv-role \(options.kvTransfer.role.rawValue), holds freed after \
                \(options.kvTransfer.holdTimeout), pulls bounded by \(options.kvTransfer.loadTimeout)
                """)
        }
        options.kvPeers = RPCKVTransferPeers(configuration: clientConfig)
        options.kvTransferLog = { logger.warning("\($0)") }
        options.makeGrammarCompiler = { [tokenizer] profile in
            // Structured outputs match tokens by their bytes: without the model's tokenizer they stay off.
            do {
                let loaded = try ModelTokenizer.load(modelPath: profile.model, override: tokenizer)
                guard let vocabulary = ModelTokenizer.vocabulary(loaded, vocabSize: profile.vocabSize) else {
                    logger.warning("structured outputs off: the tokenizer has no EOS token")
                    return nil
                }
                logger.info("structured outputs on: \(vocabulary.size) tokens")
                return GrammarCompiler(vocabulary: vocabulary)
            } catch {
                logger.warning("structured outputs off: \(error)")
                return nil
            }
        }
        logger.info("waiting for runner\(runners.count > 1 ? "s (pipeline stages)" : "") \(runners.joined(separator: ", "))")
        let batch = RPCWriteBatch()
        let started = try await EngineBootstrap.start(executor: executor, options: options) { batch.flush() }
        let engine = started.engine
        let id = engineID ?? "engine-\(RPCServer.randomInstanceID().prefix(8))"
        let profile = started.profiles[0]
        logger.info("""
            KV cache: \(started.sizing.numBlocks) blocks of \(options.blockSize) tokens \
            (\(started.sizing.numBlocks * options.blockSize) tokens, \(started.sizing.bytesPerBlock) bytes per block)
            """)
        let speed = started.profiles.compactMap(\.speed).first
        let source = options.maxNumBatchedTokens == nil ? "chosen from the runners' measured speed" : "the flag"
        let measured = speed.map {
            String(
                format: "; prefill %.2f ms per token, decode step of %d sequences %.1f ms",
                $0.prefillTokenSeconds * 1000, $0.decodeBatch, $0.decodeStepSeconds * 1000)
        }
        logger.info("max_num_batched_tokens: \(started.maxNumBatchedTokens) (\(source)\(measured ?? ""))")
        let info = ApusV1.ModelInfo(
            model: profile.model, servedModelNames: [servedModelName ?? profile.model],
            maxModelLen: UInt32(engine.configuration.scheduler.maxModelLen), vocabSize: UInt32(profile.vocabSize),
            blockSize: UInt32(options.blockSize), numGPUBlocks: UInt32(started.sizing.numBlocks),
            eosTokenIDs: profile.eosTokenIDs, bosTokenID: profile.bosTokenID, engineID: id,
            blockHashSeed: String(options.hashSeed, radix: 16), shape: profile.shape.map { ApusV1.ModelShape($0) },
            maxLoraRank: options.maxLoras == nil ? 0 : UInt32(started.profiles.map(\.maxLoRARank).min() ?? 0),
            maxLoras: UInt32(options.maxLoras ?? 0))
        let server = EngineCoreServer(
            engine: engine, service: EngineService(engine: engine, engineID: id, modelInfo: info, batch: batch),
            host: service.host, port: service.port,
            identity: .init(service: "engine-core", authToken: service.authToken.nilIfEmpty, tls: service.serverTLS()),
            logger: logger)
        let metrics = EngineMetricsService(
            engine: engine, registry: registry, modelName: servedModelName ?? profile.model, engineID: id,
            logger: logger)
        let admin = service.adminPort >= 0
            ? AdminServer(host: service.host, port: service.adminPort, health: server.health, registry: registry) : nil
        try await runServices(server.services + [metrics] + (admin.map { [$0] } ?? []), logger: logger) {
            announce("engine-core", wire: try await server.rpcServer.boundAddress(), admin: try await admin?.boundAddress())
        }
    }
}

/// Scheduler flags with vLLM's names and defaults, declared once for `apus engine-core` and `apus serve` (which
/// hands them to its engine-cores through `arguments`).
struct SchedulingOptions: ParsableArguments {
    @Option(name: .customLong("block-size")) var blockSize: Int = 16
    @Option(name: .customLong("max-model-len")) var maxModelLen: Int?
    @Option(name: .customLong("max-num-seqs")) var maxNumSeqs: Int = 256
    @Option(
        name: .customLong("max-num-batched-tokens"),
        help: "Tokens per step (default: chosen from the runners' measured speed, at most 2048).")
    var maxNumBatchedTokens: Int?
    @Flag(name: .customLong("enable-prefix-caching"), inversion: .prefixedNo) var enablePrefixCaching = true
    @Flag(name: .customLong("enable-chunked-prefill"), inversion: .prefixedNo) var enableChunkedPrefill = true
    @Flag(name: .customLong("async-scheduling"), inversion: .prefixedNo,
          help: "Schedule step N+1 while the runner computes step N (two steps in flight).")
    var asyncScheduling = true
    @Option(name: .customLong("long-prefill-token-threshold")) var longPrefillTokenThreshold: Int = 0
    @Option(name: .customLong("scheduling-policy"), help: "fcfs or priority.") var schedulingPolicy: String = "fcfs"
    @Option(name: .customLong("num-gpu-blocks-override")) var numGPUBlocksOverride: Int?
    @Option(name: .customLong("kv-cache-memory"), help: "KV cache size per runner (e.g. 1GiB) instead of profiling.")
    var kvCacheMemory: String?
    @Option(name: .customLong("prefix-caching-hash-seed"), help: "Seed of the SHA-256 block-hash chain (hex).")
    var hashSeed: String = "0"
    @Option(
        name: .customLong("max-pending-tokens"),
        help: ArgumentHelp(
            "Tokens (prompt + max output) of the requests one engine-core holds at once, queued or running; a request "
                + "past it is refused as full (429) instead of growing the queue without bound."))
    var maxPendingTokens: Int = EngineBootstrap.Options().maxPendingTokens
    @Option(
        name: .customLong("speculative-config"),
        help: ArgumentHelp(
            "Speculative decoding, as vLLM's JSON, e.g. '{\"method\": \"ngram\", \"num_speculative_tokens\": 4, "
                + "\"prompt_lookup_max\": 4}'. Scheduling is synchronous while it is on."))
    var speculativeConfig: String?
    @Flag(
        name: .customLong("enable-lora"),
        help: "Serve LoRA adapters (docs/lora.md); every runner must be started with --enable-lora too.")
    var enableLoRA = false
    @Option(name: .customLong("max-loras"), help: "With --enable-lora: the most distinct adapters running at once.")
    var maxLoras: Int = 1

    init() {}

    /// The flags again, as `apus engine-core` parses them.
    var arguments: [String] {
        var args = [
            "--block-size", "\(blockSize)", "--max-num-seqs", "\(maxNumSeqs)",
            "--long-prefill-token-threshold", "\(longPrefillTokenThreshold)", "--scheduling-policy", schedulingPolicy,
            "--prefix-caching-hash-seed", hashSeed, "--max-pending-tokens", "\(maxPendingTokens)",
            enablePrefixCaching ? "--enable-prefix-caching" : "--no-enable-prefix-caching",
            enableChunkedPrefill ? "--enable-chunked-prefill" : "--no-enable-chunked-prefill",
            asyncScheduling ? "--async-scheduling" : "--no-async-scheduling",
        ]
        if let maxModelLen { args += ["--max-model-len", "\(maxModelLen)"] }
        if let maxNumBatchedTokens { args += ["--max-num-batched-tokens", "\(maxNumBatchedTokens)"] }
        if let numGPUBlocksOverride { args += ["--num-gpu-blocks-override", "\(numGPUBlocksOverride)"] }
        if let kvCacheMemory { args += ["--kv-cache-memory", kvCacheMemory] }
        if let speculativeConfig { args += ["--speculative-config", speculativeConfig] }
        if enableLoRA { args += ["--enable-lora", "--max-loras", "\(maxLoras)"] }
        return args
    }

    func engineOptions() throws -> EngineBootstrap.Options {
        var o = EngineBootstrap.Options()
        o.blockSize = blockSize
        o.maxModelLen = maxModelLen
        o.maxNumSeqs = maxNumSeqs
        o.maxNumBatchedTokens = maxNumBatchedTokens
        o.enablePrefixCaching = enablePrefixCaching
        o.enableChunkedPrefill = enableChunkedPrefill
        o.asyncScheduling = asyncScheduling
        o.longPrefillTokenThreshold = longPrefillTokenThreshold
        switch schedulingPolicy {
        case "fcfs": o.policy = .fcfs
        case "priority": o.policy = .priority
        default: throw ValidationError("--scheduling-policy must be fcfs or priority, got \(schedulingPolicy)")
        }
        o.numGPUBlocksOverride = numGPUBlocksOverride
        o.kvCacheMemoryBytes = try kvCacheMemory.map(parseBytes)
        guard let seed = UInt64(hashSeed, radix: 16) else { throw ValidationError("--prefix-caching-hash-seed must be hex") }
        o.hashSeed = seed
        guard maxPendingTokens >= 1 else { throw ValidationError("--max-pending-tokens must be at least 1") }
        o.maxPendingTokens = maxPendingTokens
        do {
            o.speculative = try speculativeConfig.map(SpeculativeConfig.init(json:))
        } catch {
            throw ValidationError(error.description)
        }
        if enableLoRA {
            guard maxLoras >= 1 else { throw ValidationError("--max-loras must be at least 1, got \(maxLoras)") }
            o.maxLoras = maxLoras
        }
        return o
    }
}

/// Disaggregated prefill/decode flags of `apus engine-core` (docs/disaggregation.md §2).
struct KVTransferOptions: ParsableArguments {
    @Option(
        name: .customLong("kv-role"),
        help: ArgumentHelp(
            "producer (prefill legs: keep the prompt's KV blocks for a consumer), consumer (decode legs: pull them) "
                + "or both (default; ordinary requests are served in every role)."))
    var role: KVTransferConfig.Role?

    @Option(
        name: .customLong("kv-transfer-timeout"),
        help: "Seconds a producer keeps a prefill's blocks that no consumer released or kept alive.")
    var holdTimeout: Double = 120

    @Option(
        name: .customLong("kv-transfer-heartbeat"),
        help: "Seconds between a consumer's keep-alives for prefills it still waits to pull.")
    var heartbeat: Double = 10

    @Option(name: .customLong("kv-load-timeout"), help: "Seconds a pull may take before the consumer computes the prompt itself.")
    var loadTimeout: Double = 30

    @Option(
        name: .customLong("kv-advertise-address"),
        help: "HOST:PORT consumers reach this producer at (default: --host:--port; a router replaces it).")
    var advertiseAddress: String?

    func config(host: String, port: Int) throws -> KVTransferConfig {
        for (flag, value) in [("--kv-transfer-timeout", holdTimeout), ("--kv-transfer-heartbeat", heartbeat),
                              ("--kv-load-timeout", loadTimeout)] where !(value > 0 && value <= 86_400) {
            throw ValidationError("\(flag) must be between 0 and 86400 seconds, got \(value)")
        }
        var c = KVTransferConfig()
        c.role = role ?? .both
        c.holdTimeout = .milliseconds(Int(holdTimeout * 1000))
        c.heartbeatInterval = .milliseconds(Int(heartbeat * 1000))
        c.loadTimeout = .milliseconds(Int(loadTimeout * 1000))
        if let advertiseAddress {
            _ = try parseHostPort(advertiseAddress)
            c.advertisedAddress = advertiseAddress
        } else if port > 0 && host != "0.0.0.0" && host != "::" {
            c.advertisedAddress = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
        return c
    }
}

extension KVTransferConfig.Role: ExpressibleByArgument {}
