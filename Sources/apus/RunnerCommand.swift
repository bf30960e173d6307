import ApusTestSupport
import ArgumentParser
import Engine
import Foundation
import ModelRuntime
import RunnerServer
import ServiceLifecycle
import Wire

/// `apus runner`: a stateless model runner serving the `Runner` service (docs/architecture.md §5).
struct RunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner", abstract: "Serve a model runner (weights, paged KV cache, forward pass, sampler).")

    @OptionGroup var service: ServiceOptions

    @Option(
        help: ArgumentHelp(
            "A GGUF file, a Hugging Face model directory, \"dummy\" (random weights of the embedded config) or "
                + "\"embedded\"."))
    var model: String = "embedded"

    @Option(
        help: ArgumentHelp(
            "Weight format: auto (as stored: GGUF quantized types, F16 and BF16 stay), float32, float16 or "
                + "bfloat16 (docs/models.md)."))
    var dtype: WeightDType = .auto

    @Option(name: .customLong("load-format"), help: "auto or dummy (random weights for the config in --model).")
    var loadFormat: String = "auto"

    @Option(name: .customLong("seed"), help: "Seed for dummy weights and the sampler.")
    var seed: UInt64 = 0

    @Option(name: .customLong("max-model-len"), help: "Cap on tokens per request (default: the model's).")
    var maxModelLen: Int?

    @Option(name: .customLong("memory-budget"), help: "Memory this runner may use for weights, activations and KV cache.")
    var memoryBudget: String = "2GiB"

    @Flag(help: "Serve a scripted fake runner (no model; every token is 7) for engine tests.")
    var fake = false

    @Option(name: .customLong("fake-step-delay-ms"), help: "With --fake: milliseconds each step takes.")
    var fakeStepDelayMs: Int = 0

    @Option(
        name: .customLong("fake-token-delay-ms"),
        help: "With --fake: milliseconds each step takes per scheduled token, on top of --fake-step-delay-ms.")
    var fakeTokenDelayMs: Double = 0

    @Option(name: .customLong("served-model-name"), help: "Name reported in Describe.")
    var servedModelName: String?

    @Option(
        name: .customLong("pipeline-stage"),
        help: ArgumentHelp(
            "I/N: serve pipeline stage I of N (0-based): a contiguous range of the model's layers, split as vLLM "
                + "does. Give the engine-core every stage's address, in order, as repeated --runner."))
    var pipelineStage: String = "0/1"

    @Option(
        name: .customLong("speculative-config"),
        help: ArgumentHelp(
            "The engine-core's --speculative-config JSON; with \"method\": \"draft_model\" the runner loads the draft "
                + "model named by \"model\" (a GGUF file, a Hugging Face directory, \"dummy\" or \"embedded\") beside "
                + "the target. Other methods need nothing here."))
    var speculativeConfig: String?

    @Flag(
        name: .customLong("enable-lora"),
        help: "Serve LoRA adapters: steps may name a PEFT adapter directory, loaded on first use (docs/lora.md).")
    var enableLoRA = false

    @Option(
        name: .customLong("max-lora-rank"),
        help: "With --enable-lora: the largest rank of any adapter module the runner loads (vLLM's default 16).")
    var maxLoRARank = 16

    @Option(
        name: .customLong("max-cpu-loras"),
        help: "With --enable-lora: adapters kept in memory, least recently used evicted first (a step's own are kept).")
    var maxCPULoRAs = 4

    @Option(
        name: .customLong("kv-transfer-chunk-bytes"),
        help: "Largest KVChunk this runner asks of producer runners in LoadKV, bytes (0: the producer's default).")
    var kvTransferChunkBytes = 0

    @Option(
        name: .customLong("kv-transfer-shared-memory"),
        help: ArgumentHelp(
            "auto: keep the KV cache in a shared memory file and copy KV through shared memory with runners on this "
                + "host (same boot, pid and network namespace), TCP otherwise or when mapping fails; off: TCP only "
                + "(docs/disaggregation.md §3)."))
    var kvTransferSharedMemory: SharedMemoryMode = .auto

    enum SharedMemoryMode: String, ExpressibleByArgument, CaseIterable {
        case auto, off
    }

    func validate() throws {
        guard (0...(32 << 20)).contains(kvTransferChunkBytes) else {
            throw ValidationError("--kv-transfer-chunk-bytes must be in 0...\(32 << 20), got \(kvTransferChunkBytes)")
        }
        guard LoRAConfig.maxLoRARankRange.contains(maxLoRARank) else {
            throw ValidationError("--max-lora-rank must be in \(LoRAConfig.maxLoRARankRange), got \(maxLoRARank)")
        }
        guard LoRAConfig.maxCPULoRAsRange.contains(maxCPULoRAs) else {
            throw ValidationError("--max-cpu-loras must be in \(LoRAConfig.maxCPULoRAsRange), got \(maxCPULoRAs)")
        }
        guard parsedStage != nil else { throw ValidationError("--pipeline-stage must be I/N with 0 <= I < N, got \(pipelineStage)") }
        _ = try parsedSpeculativeConfig()
    }

    /// `--speculative-config`, checked as the engine-core checks it.
    func parsedSpeculativeConfig() throws -> SpeculativeConfig? {
        do {
            return try speculativeConfig.map(SpeculativeConfig.init(json:))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// `--pipeline-stage` as (index, count).
    var parsedStage: (index: Int, count: Int)? {
        let parts = pipelineStage.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() async throws {
        let registry = ProcessSetup.bootstrap(logLevel: service.logLevel)
        let logger = service.makeLogger("apus.runner")
        let incarnation = RPCServer.randomInstanceID()
        let backend = try makeBackend(incarnation: incarnation)
        let runner = RunnerService(backend: backend, kvLoader: KVLoader(options: kvLoaderOptions(incarnation)))
        let rpc = RPCServer(
            host: service.host, port: service.port,
            identity: .init(
                service: "runner", instanceID: incarnation, authToken: service.authToken.nilIfEmpty,
                tls: service.serverTLS()),
            handlers: runner.handlers, logger: logger)
        let admin = service.adminPort >= 0
            ? AdminServer(host: service.host, port: service.adminPort, health: runner.health, registry: registry) : nil
        try await runServices([rpc] + (admin.map { [$0] } ?? []), logger: logger) {
            announce("runner", wire: try await rpc.boundAddress(), admin: try await admin?.boundAddress())
        }
    }

    /// How LoadKV dials producer runners: this service's auth token and TLS client settings.
    private func kvLoaderOptions(_ incarnation: String) -> KVLoader.Options {
        var client = KVLoader.Options.defaultClient
        client.instanceID = incarnation
        client.authToken = service.authToken
        client.tls = service.clientTLS()
        var options = KVLoader.Options(client: client)
        options.maxChunkBytes = kvTransferChunkBytes
        options.sharedMemory = kvTransferSharedMemory == .auto
        return options
    }

    private func makeBackend(incarnation: String) throws -> any RunnerBackend {
        let name = servedModelName ?? (fake ? "scripted" : model)
        if fake {
            let profile = Engine.RunnerProfile(
                model: name, vocabSize: 512, maxModelLen: maxModelLen ?? 4096, numLayers: 1, numKVHeads: 1,
                headDim: 16, dtypeBytes: 4, availableKVBytes: try parseBytes(memoryBudget))
            return ScriptedRunnerBackend(
                profile: profile, incarnation: incarnation,
                stepDelay: fakeStepDelayMs > 0 ? .milliseconds(fakeStepDelayMs) : nil,
                tokenDelay: fakeTokenDelayMs > 0 ? .microseconds(Int64(fakeTokenDelayMs * 1_000)) : nil)
        }
        let stage = parsedStage ?? (0, 1)
        let runner = try ModelRunner(
            source: try source(model), maxModelLen: maxModelLen, samplerSeed: seed, stageIndex: stage.index,
            stageCount: stage.count, dtype: dtype)
        if let spec = try parsedSpeculativeConfig(), spec.method == .draftModel, let draft = spec.draftModel {
            try runner.loadDraft(
                source: try source(draft), name: draft, numSpeculativeTokens: spec.numSpeculativeTokens, dtype: dtype)
        }
        if enableLoRA { runner.enableLoRA(LoRAConfig(maxLoRARank: maxLoRARank, maxCPULoRAs: maxCPULoRAs)) }
        return ModelRunnerBackend(
            runner: runner, modelName: name, incarnation: incarnation, memoryBudgetBytes: try parseBytes(memoryBudget),
            kvCacheInMemoryFile: kvTransferSharedMemory == .auto)
    }

    /// Where a model's weights come from: `--model`'s values, and `--load-format dummy` keeps a real model's shape.
    private func source(_ model: String) throws -> ModelSource {
        switch (model, loadFormat) {
        case ("embedded", _): .embeddedDefault
        case ("dummy", _): .dummy(.embeddedDefault, seed: seed)
        case (let path, "dummy"): .dummy(try ModelSource(path: path).config(), seed: seed)
        case (let path, _): ModelSource(path: path)
        }
    }
}

extension WeightDType: ExpressibleByArgument {}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
