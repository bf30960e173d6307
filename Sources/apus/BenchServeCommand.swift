import ArgumentParser
import Foundation
import Tokenization

/// `apus bench serve`: an OpenAI-API load generator in the spirit of `vllm bench serve` (random dataset, Poisson
/// arrivals or all at once, optional concurrency cap, streaming `/v1/completions` with ignore_eos and usage).
/// Works against any OpenAI-compatible server; flag names follow vLLM's.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load-test an OpenAI-compatible server: throughput, TTFT, TPOT, ITL, E2E latency (like vllm bench serve).")

    @OptionGroup var output: BenchOutputOptions

    @Option(name: .customLong("base-url"), help: "Server URL (http only).")
    var baseURL: String = "http://127.0.0.1:8000"

    @Option(help: "Endpoint path appended to the base URL.")
    var endpoint: String = "/v1/completions"

    @Option(help: "Model name to request (default: the first of GET /v1/models).")
    var model: String?

    @Option(name: .customLong("num-prompts"), help: "Requests to send.")
    var numPrompts: Int = 200

    @Option(name: [.customLong("random-input-len"), .customLong("input-len")], help: "Prompt tokens per request.")
    var inputLength: Int = 128

    @Option(name: [.customLong("random-output-len"), .customLong("output-len")], help: "Output tokens (ignore_eos).")
    var outputLength: Int = 64

    @Option(name: .customLong("random-prefix-len"), help: "Tokens of a prefix shared by every prompt (0 = none).")
    var prefixLength: Int = 0

    @Option(name: .customLong("request-rate"), help: "Requests per second (Poisson arrivals), or inf to send all at once.")
    var requestRate: String = "inf"

    @Option(name: .customLong("max-concurrency"), help: "Most requests in flight at once (default: no cap).")
    var maxConcurrency: Int?

    @Option(help: "Seed for prompts and arrival times.")
    var seed: UInt64 = 0

    @Option(name: .customLong("prompt-format"), help: "ids (\"prompt\": [token ids]) or words (random text).")
    var promptFormat: String = "ids"

    @Option(
        name: .customLong("dataset-name"),
        help: "random (random tokens or words) or repeat (copy a text of about --random-input-len words; the answer repeats the prompt).")
    var datasetName: String = "random"

    @Option(name: .customLong("vocab-size"), help: "Token ids are drawn below this (default: the embedded tokenizer's).")
    var vocabSize: Int?

    @Option(name: .customLong("api-key"), help: "Bearer token (default: $OPENAI_API_KEY).")
    var apiKeyOption: String?

    var apiKey: String? { apiKeyOption ?? ProcessInfo.processInfo.environment["OPENAI_API_KEY"] }

    @Option(name: .customLong("request-timeout"), help: "Seconds one request may take.")
    var requestTimeout: Double = 600

    @Option(
        name: .customLong("extra-body"),
        help: #"A JSON object merged into every request, e.g. '{"response_format": {"type": "json_object"}}'."#)
    var extraBody: String?

    /// `--extra-body` as an object.
    func extraFields() throws -> [String: Any] {
        guard let extraBody else { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(extraBody.utf8))) as? [String: Any] else {
            throw ValidationError("--extra-body must be a JSON object")
        }
        return object
    }

    func validate() throws {
        guard numPrompts > 0, inputLength > 0, outputLength > 0, prefixLength >= 0, requestTimeout > 0 else {
            throw ValidationError("--num-prompts, --random-input-len, --random-output-len and --request-timeout must be positive")
        }
        guard maxConcurrency.map({ $0 > 0 }) ?? true else { throw ValidationError("--max-concurrency must be positive") }
        guard BenchServeDataset.PromptFormat(rawValue: promptFormat) != nil else {
            throw ValidationError("--prompt-format must be ids or words")
        }
        guard BenchServeDataset.Name(rawValue: datasetName) != nil else {
            throw ValidationError("--dataset-name must be random or repeat")
        }
        _ = try rate()
        _ = try target()
        _ = try extraFields()
    }

    /// Requests per second; nil = infinite (all at once).
    func rate() throws -> Double? {
        if requestRate.lowercased() == "inf" { return nil }
        guard let r = Double(requestRate), r > 0, r.isFinite else {
            throw ValidationError("--request-rate must be a positive number or inf")
        }
        return r
    }

    /// Host, port and path prefix of `--base-url`.
    func target() throws -> (host: String, port: Int, prefix: String) {
        guard let url = URLComponents(string: baseURL), url.scheme == "http", let host = url.host, !host.isEmpty else {
            throw ValidationError("--base-url must look like http://HOST:PORT (https is not supported)")
        }
        var prefix = url.path
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return (host, url.port ?? 80, prefix)
    }

    func run() async throws {
        let (host, port, prefix) = try target()
        let timeout = Duration.milliseconds(Int(requestTimeout * 1000))
        let modelName = try await resolveModel(host: host, port: port, prefix: prefix)
        let prompts = BenchServeDataset.make(
            count: numPrompts, inputLength: inputLength, outputLength: outputLength, prefixLength: prefixLength,
            vocabSize: vocabSize ?? Tokenizer.embeddedDefault.vocabSize,
            format: BenchServeDataset.PromptFormat(rawValue: promptFormat) ?? .ids, seed: seed,
            name: BenchServeDataset.Name(rawValue: datasetName) ?? .random)
        var request = BenchServeRequest(
            host: host, port: port, path: prefix + endpoint, model: modelName, apiKey: apiKey, timeout: timeout)
        _ = try extraFields()
        request.extraBody = extraBody

        BenchLog.note("initial test request to \(baseURL)\(endpoint) (model \(modelName))")
        let probe = await request.run(prompts[0])
        guard probe.success else { throw BenchError("the initial test request failed: \(probe.error)") }

        let rate = try rate()
        BenchLog.note("sending \(numPrompts) requests, rate \(rate.map { "\($0)/s" } ?? "inf"), "
                      + "max concurrency \(maxConcurrency.map(String.init) ?? "none")")
        let (outcomes, seconds) = await BenchServeLoad.run(
            prompts: prompts, request: request, rate: rate, maxConcurrency: maxConcurrency, seed: seed)
        let metrics = BenchServeMetrics(outcomes: outcomes, durationS: seconds)
        if output.json {
            print(metrics.jsonLine(extra: [
                "model_id": modelName, "num_prompts": numPrompts, "request_rate": rate.map { $0 as Any } ?? "inf",
                "max_concurrency": maxConcurrency.map { $0 as Any } ?? NSNull(), "random_input_len": inputLength,
                "random_output_len": outputLength, "random_prefix_len": prefixLength, "dataset_name": datasetName,
            ]))
        } else {
            let header = "model \(modelName), \(numPrompts) prompts of \(prefixLength)+\(inputLength) tokens → "
                + "\(outputLength), rate \(rate.map { "\($0)/s" } ?? "inf"), max concurrency "
                + (maxConcurrency.map(String.init) ?? "none")
            metrics.humanLines(header: header).forEach { print($0) }
        }
        if metrics.completed == 0 { throw ExitCode.failure }
    }

    /// `--model`, or the first model the server lists.
    func resolveModel(host: String, port: Int, prefix: String) async throws -> String {
        if let model { return model }
        var headers: [(String, String)] = []
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let response = try await BenchHTTPClient.send(
            host: host, port: port, method: .GET, path: prefix + "/v1/models", headers: headers, timeout: .seconds(30))
        guard response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              let data = object["data"] as? [[String: Any]], let id = data.first?["id"] as? String
        else { throw BenchError("GET /v1/models gave no model (HTTP \(response.status)); pass --model") }
        return id
    }
}
