import Hummingbird
import NIOCore
import Tokenization

/// A `text/event-stream` response of `data: <json>` events ending with `data: [DONE]`.
///
/// The producer runs in its own task and hands encoded events to the body writer. It is cancelled — and with it
/// the upstream calls — when the client hangs up, noticed either by the connection watcher (even while no token
/// has come yet) or by a failed write. An `APIError` thrown while producing (an upstream failure after the
/// headers went out) is sent as a `data: {"error": …}` event before `[DONE]`, as vLLM does.
enum ServerSentEvents {
    typealias Send = (JSONValue) async throws -> Void

    static func response(
        headers: HTTPFields, channel: any Channel, _ produce: @escaping @Sendable (_ send: Send) async throws -> Void
    ) -> Response {
        var fields = headers
        fields[.contentType] = "text/event-stream"
        fields[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: fields,
            body: ResponseBody { writer in
                let (events, continuation) = AsyncStream<String>.makeStream()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        defer { continuation.finish() }
                        do {
                            try await ClientDisconnect.cancellingOnClose(channel) {
                                try await produce { event in continuation.yield(encode(event)) }
                            }
                        } catch let error as APIError {
                            continuation.yield(encode(error.json))
                        }
                    }
                    for await text in events { try await writer.write(ByteBuffer(string: text)) }
                    try await group.waitForAll()
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            })
    }

    /// An engine-side error finish becomes the stream's error event.
    static func check(_ delta: ChoiceDelta) throws {
        if delta.finishReason == .error {
            throw APIError.internalError("The engine failed the request: \(delta.errorMessage)")
        }
    }

    static func encode(_ event: JSONValue) -> String {
        var text = "data: "
        JSONWriter.write(event, into: &text)
        text += "\n\n"
        return text
    }
}
