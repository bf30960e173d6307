import ArgumentParser
import ModelRuntime
import Foundation
import Logging
import ServiceLifecycle

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
    @Option(name: .customLong("policy"), help: "Router policy.") var policy: String = "prefix_aware"
    @Option(name: .customLong("hung-after"), help: "Passed to the router (seconds).") var hungAfter: Double = 2
    @Option(name: .customLong("hung-step-multiple"), help: "Passed to the router.") var hungStepMultiple: Double = 3
    /// Passed to every engine-core (`--max-model-len` to the runners too).
    @OptionGroup(title: "Scheduling") var scheduling: SchedulingOptions
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
        _ = try scheduling.engineOptions()  // bad scheduler flags fail here, before any child starts
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

    var common: [String] { ["--host", "127.0.0.1", "--port", "0", "--admin-port", "0", "--log-level", logLevel] }

    func runnerArgs(stage: Int) -> [String] {
        let weights: [String] = ["--model", model, "--memory-budget", memoryBudget, "--dtype", dtype.rawValue]
        return ["runner"] + common + weights
            + ["--pipeline-stage", "\(stage)/\(pipelineParallelSize)"]
            + (scheduling.maxModelLen.map { ["--max-model-len", "\($0)"] } ?? [])
            + (servedModelName.map { ["--served-model-name", $0] } ?? [])
    }

    func engineArgs(runners: [String], index: Int) -> [String] {
        ["engine-core"] + common + runners.flatMap { ["--runner", $0] } + ["--engine-id", "engine-\(index)"]
            + scheduling.arguments
            + (servedModelName.map { ["--served-model-name", $0] } ?? [])
    }

    func routerArgs(engines: [String]) -> [String] {
        ["router"] + common + ["--policy", policy, "--hung-after", "\(hungAfter)", "--hung-step-multiple",
            "\(hungStepMultiple)"] + engines.flatMap { ["--engine", $0] }
    }

    /// `--tokenizer`, else the model's own (a GGUF file or a directory) unless the model is embedded or dummy.
    var tokenizerArgs: [String] {
        if let tokenizer { return ["--tokenizer", tokenizer] }
        return ["embedded", "dummy"].contains(model) ? [] : ["--tokenizer", model]
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
    }
}

/// Starts the children in dependency order, watches them, and stops them in reverse order on shutdown.
struct ClusterService: Service {
    let command: ServeCommand
    let logger: Logger

    func run() async throws {
        var children: [ChildProcess] = []
        defer { for child in children.reversed() { child.stop() } }
        func launch(_ name: String, _ args: [String]) async throws -> ChildProcess {
            let child = ChildProcess(name: name, arguments: args)
            try await child.start()
            children.append(child)
            logger.info("\(name) up: \(child.fields.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
            return child
        }
        var engines: [String] = []
        for i in 0..<command.dataParallelSize {
            var runners: [String] = []
            for stage in 0..<command.pipelineParallelSize {
                let name = command.pipelineParallelSize > 1 ? "runner-\(i)-stage-\(stage)" : "runner-\(i)"
                runners.append(try await launch(name, command.runnerArgs(stage: stage)).address("wire")!)
            }
            let engine = try await launch("engine-core-\(i)", command.engineArgs(runners: runners, index: i))
            engines.append(engine.address("wire")!)
        }
        let router = try await launch("router", command.routerArgs(engines: engines))
        let api = try await launch("api", command.apiArgs(upstream: router.address("wire")!))
        let url = "http://\(api.address("http") ?? "\(command.host):\(command.port)")/v1"
        FileHandle.standardOutput.write(Data("Apus is serving the OpenAI API at \(url)  (Ctrl-C stops the cluster)\n".utf8))
        let watched = children
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let dead = watched.first(where: { !$0.isRunning }) {
                    logger.error("\(dead.name) exited with status \(dead.exitStatus); stopping the cluster")
                    return
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        logger.info("stopping: api, router, engine-cores, runners")
    }
}
