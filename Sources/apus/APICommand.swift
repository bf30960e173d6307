import APIServer
import ArgumentParser
import Foundation
import Logging
import ModelFiles
import NIOCore
import Tokenization
import Wire

/// `apus api`: the OpenAI-compatible HTTP server in front of one `Engine` upstream (a router or an engine-core).
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api", abstract: "Serve the OpenAI API (HTTP/SSE) over an Engine upstream (router or engine-core)."
    )

    @OptionGroup var service: ServiceOptions

    @Option(help: "HOST:PORT of the upstream Engine service (a router or an engine-core).")
    var upstream: String

    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on /v1/* (env VLLM_API_KEY).")
    var apiKey: String = ProcessInfo.processInfo.environment["VLLM_API_KEY"] ?? ""

    @Option(
        name: .customLong("served-model-name"), parsing: .upToNextOption,
        help: "Model names clients may use; the first is reported (default: the upstream's).")
    var servedModelNames: [String] = []

    @Option(
        help: ArgumentHelp(
            "A GGUF file or a directory with tokenizer.json (default: the upstream model's file or directory, else "
                + "the embedded tokenizer)."))
    var tokenizer: String?

    @Option(
        name: .customLong("generation-config"),
        help: ArgumentHelp(
            "auto: unset sampling fields default to the model's generation_config.json (as vLLM); vllm: to OpenAI's "
                + "defaults."))
    var generationConfig: String = "auto"

    @Option(
        name: .customLong("override-generation-config"),
        help: ArgumentHelp(
            "A JSON object of sampling defaults over the model's (temperature, top_p, top_k, min_p, "
                + "repetition_penalty), e.g. '{\"temperature\": 0.2}'."))
    var overrideGenerationConfig: String?

    @OptionGroup(title: "HTTP limits") var httpLimits: HTTPLimitsOptions

    @OptionGroup(title: "LoRA") var lora: APILoRAOptions

    @Option(name: .customLong("upstream-timeout"), help: "Seconds to wait for the upstream at start.")
    var upstreamTimeout: Double = 120

    @Option(
        name: .customLong("upstream-retry-timeout"),
        help: "Seconds a request may wait, before its first token, for a lost upstream connection to come back.")
    var upstreamRetryTimeout: Double = 10

    @Flag(
        name: .customLong("enable-auto-tool-choice"),
        help: "Serve tool_choice \"auto\": parse the model's tool calls into tool_calls (needs --tool-call-parser).")
    var enableAutoToolChoice = false

    @Option(
        name: .customLong("tool-call-parser"),
        help: "The tool-call format of the model (vLLM's parser names).")
    var toolCallParser: ToolCallParserName?

    @Flag(
        name: .customLong("exclude-tools-when-tool-choice-none"),
        help: "With tool_choice \"none\", leave the tools out of the chat template.")
    var excludeToolsWhenToolChoiceNone = false

    var toolCalling: ToolCallingOptions {
        ToolCallingOptions(
            enableAutoToolChoice: enableAutoToolChoice, parser: toolCallParser,
            excludeToolsWhenToolChoiceNone: excludeToolsWhenToolChoiceNone)
    }

    /// vLLM's start-up check: auto tool choice needs a parser.
    func validate() throws {
        do { try toolCalling.validate() } catch { throw ValidationError(error.description) }
        guard upstreamRetryTimeout.isFinite, (0...3600).contains(upstreamRetryTimeout) else {
            throw ValidationError("--upstream-retry-timeout must be 0...3600 seconds, got \(upstreamRetryTimeout)")
        }
        guard ["auto", "vllm"].contains(generationConfig) else {
            throw ValidationError("--generation-config must be auto or vllm, got \(generationConfig)")
        }
        if let json = overrideGenerationConfig {
            do { _ = try SamplingDefaults().overridden(byJSON: json) } catch { throw ValidationError("\(error)") }
        }
    }

    /// The sampling defaults: the model's generation config (unless `--generation-config vllm`), then the override.
    func samplingDefaults(_ tokenizer: Tokenizer) throws -> SamplingDefaults {
        let base = generationConfig == "vllm" ? SamplingDefaults() : SamplingDefaults(tokenizer.generationConfig)
        return try overrideGenerationConfig.map { try base.overridden(byJSON: $0) } ?? base
    }

    func run() async throws {
        let registry = ProcessSetup.bootstrap(logLevel: service.logLevel)
        let logger = service.makeLogger("apus.api")
        let (host, port) = try parseHostPort(upstream)
        let engine = EngineUpstream(
            host: host, port: port, authToken: service.authToken, tls: service.clientTLS(),
            retryWindow: .milliseconds(Int64(upstreamRetryTimeout * 1000)))
        logger.info("waiting for upstream \(host):\(port)")
        let info = try await waitForModelInfo(engine, logger: logger)
        let tokenizer = try loadTokenizer(modelPath: info.model)
        let model = try ServedModel(
            info: info, tokenizer: tokenizer, servedModelNames: servedModelNames,
            samplingDefaults: try samplingDefaults(tokenizer))
        logger.info("serving \(model.names) (max_model_len \(model.maxModelLen), vocab \(model.vocabSize))")
        let loras = try loadLoRAModules(info: info, model: model, logger: logger)
        let server = APIServer(
            model: model, upstream: engine, metrics: APIMetrics(registry: registry, modelName: model.name),
            apiKey: apiKey.nilIfEmpty, toolCalling: toolCalling, limits: httpLimits.limits, loras: loras,
            allowRuntimeLoRAUpdating: lora.runtimeUpdating)
        let (bound, boundContinuation) = AsyncStream<SocketAddress>.makeStream()
        let app = server.makeApplication(host: service.host, port: service.port, logger: logger) { channel in
            if let address = channel.localAddress { boundContinuation.yield(address) }
            boundContinuation.finish()
        }
        let health = HealthService(statuses: ["": .serving])
        let admin =
            service.adminPort >= 0
            ? AdminServer(host: service.host, port: service.adminPort, health: health, registry: registry) : nil
        try await runServices([app] + (admin.map { [$0] } ?? []), logger: logger) {
            var iterator = bound.makeAsyncIterator()
            guard let http = await iterator.next() else { return }
            var line = "LISTENING api http=\(http.ipAddress ?? "?"):\(http.port ?? 0)"
            if let address = try await admin?.boundAddress() {
                line += " admin=\(address.ipAddress ?? "?"):\(address.port ?? 0)"
            }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    /// The adapter registry, with every `--lora-modules` entry validated and served; a bad entry stops the api.
    func loadLoRAModules(info: ApusV1.ModelInfo, model: ServedModel, logger: Logger) throws -> LoRAAdapters {
        let loras = LoRAAdapters(validate: LoRAValidation.validator(info))
        if loras.isEnabled {
            logger.info("LoRA: max_loras \(info.maxLoras), max_lora_rank \(info.maxLoraRank)")
        }
        for module in try lora.modules() {
            do {
                try loras.load(name: module.name, path: module.path, parent: module.baseModelName ?? model.name)
            } catch {
                throw ValidationError("--lora-modules \(module.name): \(error)")
            }
            logger.info("serving LoRA adapter \(module.name) from \(module.path)")
        }
        if lora.runtimeUpdating {
            logger.warning("LoRA adapters may be loaded and unloaded at run time (/v1/load_lora_adapter)")
        }
        return loras
    }

    /// `--tokenizer`, else the model directory when the upstream serves one with a tokenizer.json, else embedded.
    /// Asks the upstream for its model until it has one: a router answers UNAVAILABLE until an engine-core is
    /// ready, which is normal while a cluster starts (Kubernetes must not see the api crash-loop meanwhile).
    func waitForModelInfo(_ engine: EngineUpstream, logger: Logger) async throws -> ApusV1.ModelInfo {
        let deadline = ContinuousClock.now + .milliseconds(Int(upstreamTimeout * 1000))
        var logged = false
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            do {
                return try await engine.modelInfo(timeout: max(left, .milliseconds(1)))
            } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
                if !logged {
                    logger.info("upstream not ready yet (\(error.message)); waiting up to \(Int(upstreamTimeout)) s")
                    logged = true
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func loadTokenizer(modelPath: String) throws -> Tokenizer {
        try ModelTokenizer.load(modelPath: modelPath, override: tokenizer)
    }
}

extension ToolCallParserName: ExpressibleByArgument {}
