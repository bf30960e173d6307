import APIServer
import FuzzSupport
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import Prometheus
import Tokenization

/// The api under test: one router per (tool-call parser, scripted output), built once, serving the embedded
/// tokenizer with the Qwen3 chat template (it renders tools, tool calls and reasoning).
enum FuzzedAPI {
    static let parsers: [ToolCallParserName?] = [nil, .hermes, .llama3JSON, .mistral]

    static let responders: [RouterResponder<APIRequestContext>] = {
        let tokenizer = Tokenizer.embeddedDefault
        let template = String(decoding: FuzzFixtures.data("chat_templates/templates/qwen3.jinja"), as: UTF8.self)
        let model = ServedModel(
            names: ["tiny"], maxModelLen: 256, vocabSize: tokenizer.vocabSize, eosTokenIDs: [2, 0],
            tokenizer: tokenizer, chatTemplate: try! ChatTemplate(template))
        return parsers.flatMap { parser in
            ScriptedEngine.scripts.indices.map { script in
                let server = APIServer(
                    model: model,
                    upstream: EngineUpstream(
                        engine: ScriptedEngine(script: script, tokenizer: tokenizer).client, retryWindow: .zero),
                    metrics: APIMetrics(registry: PrometheusCollectorRegistry(), modelName: "tiny"),
                    toolCalling: ToolCallingOptions(enableAutoToolChoice: parser != nil, parser: parser))
                return server.makeRouter().buildResponder()
            }
        }
    }()

    static let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }

    /// POSTs `body` to `route` as Hummingbird's router tests do (a testing channel as the connection, closed when
    /// the response is written, as the client would); the status and the whole body as text.
    static func respond(
        _ responder: RouterResponder<APIRequestContext>, route: String, body: [UInt8]
    ) async -> (Int, String) {
        let request = Request(
            head: .init(
                method: .post, scheme: "http", authority: "localhost", path: route,
                headerFields: [.contentType: "application/json", .contentLength: String(body.count)]),
            body: RequestBody(buffer: ByteBuffer(bytes: body)))
        // NOTE: an open testing channel is never freed (its pipeline and event loop hold each other): without the
        // close, memory grows by a channel per input until the RSS limit.
        let channel = NIOAsyncTestingChannel()
        let context = APIRequestContext(source: .init(channel: channel, logger: logger))
        let answer = await respond(responder, request, context)
        _ = try? await channel.finish(acceptAlreadyClosed: true)
        return answer
    }

    static func respond(
        _ responder: RouterResponder<APIRequestContext>, _ request: Request, _ context: APIRequestContext
    ) async -> (Int, String) {
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as HTTPResponseError {
            return (Int(error.status.code), "\(error)")
        } catch {
            return (500, "the router threw \(error)")
        }
        let collected = CollectedBody()
        do {
            try await response.body.write(CollectingWriter(collected: collected))
        } catch {
            return (500, "writing the body threw \(error)")
        }
        return (Int(response.status.code), String(buffer: collected.buffer))
    }

    /// A response body kept in memory (the writer is consumed by `write`, so the bytes live outside it).
    /// NOTE: @unchecked Sendable: one request's body is written by one task, then read after it finished.
    final class CollectedBody: @unchecked Sendable {
        var buffer = ByteBuffer()
    }

    struct CollectingWriter: ResponseBodyWriter {
        let collected: CollectedBody
        mutating func write(_ buffer: ByteBuffer) async throws { collected.buffer.writeImmutableBuffer(buffer) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
