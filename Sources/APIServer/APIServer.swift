import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServingCore
import Tokenization
import Wire

/// The OpenAI-compatible HTTP front end (docs/architecture.md §1–§2): a stateless client of one `Engine` upstream.
///
/// Owns HTTP, API keys, validation, chat templates, tokenization, detokenization, stop strings and `n > 1`
/// fan-out; the upstream only sees token ids. `makeRouter()` is the whole HTTP surface, testable without a
/// socket; `makeApplication` puts it on a port.
public struct APIServer: Sendable {
    public let model: ServedModel
    public let upstream: EngineUpstream
    public let metrics: APIMetrics
    /// When set, `/v1/*` requires `Authorization: Bearer <apiKey>`.
    public let apiKey: String?
    /// How `tools` and `tool_choice` are served (`--enable-auto-tool-choice`, `--tool-call-parser`).
    public let toolCalling: ToolCallingOptions
    /// Body size, read timeout and connection cap of the HTTP listener.
    public let limits: HTTPLimits
    /// The LoRA adapters served by name (docs/lora.md).
    public let loras: LoRAAdapters
    /// `POST /v1/load_lora_adapter` and `/v1/unload_lora_adapter` exist (vLLM's `VLLM_ALLOW_RUNTIME_LORA_UPDATING`).
    public let allowRuntimeLoRAUpdating: Bool
    public static let version = "0.1.0"

    public init(
        model: ServedModel, upstream: EngineUpstream, metrics: APIMetrics, apiKey: String? = nil,
        toolCalling: ToolCallingOptions = .init(), limits: HTTPLimits = .init(),
        loras: LoRAAdapters = LoRAAdapters(validate: nil), allowRuntimeLoRAUpdating: Bool = false
    ) {
        self.model = model
        self.loras = loras
        self.allowRuntimeLoRAUpdating = allowRuntimeLoRAUpdating
        self.limits = limits
        self.toolCalling = toolCalling
        self.upstream = upstream
        self.metrics = metrics
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: RequestBodyLimitMiddleware(maxBodyBytes: limits.maxBodyBytes))
        router.add(middleware: APIKeyMiddleware(apiKey: apiKey))
        router.get("/health") { _, _ in
            do {
                _ = try await upstream.modelInfo(timeout: .seconds(2), waitForReady: false)
                return Response(status: .ok)
            } catch {
                return APIError.upstream(error).response
            }
        }
        router.get("/version") { _, _ in JSONResponse.make(["version": .string(Self.version)]) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/v1/models") { _, _ in JSONResponse.make(modelsJSON) }
        router.post("/v1/completions") { request, context in
            await handle { try await completions(request, context) }
        }
        router.post("/v1/chat/completions") { request, context in
            await handle { try await chatCompletions(request, context) }
        }
        if allowRuntimeLoRAUpdating {
            router.post("/v1/load_lora_adapter") { request, _ in await handle { try await loadLoRAAdapter(request) } }
            router.post("/v1/unload_lora_adapter") { request, _ in
                await handle { try await unloadLoRAAdapter(request) }
            }
        }
        router.post("/tokenize") { request, _ in await handle { try await tokenize(request) } }
        router.post("/detokenize") { request, _ in await handle { try await detokenize(request) } }
        return router
    }

    /// The server on `host:port`; `onServerRunning` receives the bound channel (port 0 picks a free port).
    public func makeApplication(
        host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) -> some ApplicationProtocol {
        let readTimeout = TimeAmount.nanoseconds(
            limits.requestReadTimeout.components.seconds * 1_000_000_000
                + limits.requestReadTimeout.components.attoseconds / 1_000_000_000)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [HTTPConnectionGuard(readTimeout: readTimeout)])
        return Application(
            router: makeRouter(), server: .http1(configuration: http1),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "apus-api",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
            onServerRunning: onServerRunning, logger: logger)
    }

    /// Runs a handler, answering any `APIError` (or unexpected error) with the OpenAI error body.
    func handle(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError.internalError(String(describing: error)).response
        }
    }

    private var modelsJSON: JSONValue {
        [
            "object": "list",
            "data": .array(
                model.names.map { name in
                    [
                        "id": .string(name), "object": "model", "created": .int(model.created), "owned_by": "apus",
                        "root": .string(model.name), "parent": .null, "max_model_len": .int(model.maxModelLen),
                    ]
                }
                    + loras.all.map { adapter in
                        [
                            "id": .string(adapter.name), "object": "model", "created": .int(adapter.created),
                            "owned_by": "apus", "root": .string(adapter.path), "parent": .string(adapter.parent),
                            "max_model_len": .int(model.maxModelLen),
                        ]
                    }),
        ]
    }

    /// Reads the request body as JSON; malformed JSON is a 400, a body over `limits.maxBodyBytes` a 413 (read no
    /// further than the limit).
    func jsonBody(_ request: Request) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limits.maxBodyBytes)
        }
        do {
            return try JSONValue(parsing: String(buffer: buffer))
        } catch {
            throw APIError.badRequest("Invalid JSON in the request body: \(error)")
        }
    }

    /// The client's `x-request-id` (or a random id), and a unique upstream id made from it with a random suffix.
    func requestIDs(_ request: Request, prefix: String) -> (client: String, upstream: String) {
        let given = request.headers[HTTPFields.requestIDName].flatMap { $0.isEmpty ? nil : $0 }
        let client = given ?? Self.randomHex(16)
        return (client, "\(prefix)-\(client)-\(Self.randomHex(4))")
    }

    static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

/// Checks `Authorization: Bearer <key>` on `/v1/*` when a key is configured (as vLLM's `--api-key`).
struct APIKeyMiddleware: RouterMiddleware {
    let apiKey: String?

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let apiKey, request.uri.path.hasPrefix("/v1") else { return try await next(request, context) }
        guard ConstantTime.equals(request.headers[.authorization] ?? "", "Bearer \(apiKey)") else {
            return APIError.unauthorized.response
        }
        return try await next(request, context)
    }
}

extension HTTPFields {
    /// `x-request-id`, which the api honours and echoes.
    static let requestIDName = HTTPFields.Element.Name("x-request-id")!
}
