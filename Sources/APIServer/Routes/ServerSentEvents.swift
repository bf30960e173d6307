import Hummingbird
import Tokenization

/// A `text/event-stream` response of `data: <json>` events ending with `data: [DONE]`.
///
/// An `APIError` thrown while producing (an upstream failure after the headers went out) is sent as a
/// `data: {"error": …}` event before `[DONE]`, as vLLM does. Any other error is a failed write — the client went
/// away — and ends the body at once; by then the producer's upstream calls have been cancelled.
enum ServerSentEvents {
    typealias Send = (JSONValue) async throws -> Void

    static func response(
        headers: HTTPFields, _ produce: @escaping @Sendable (_ send: Send) async throws -> Void
    ) -> Response {
        var fields = headers
        fields[.contentType] = "text/event-stream"
        fields[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: fields,
            body: ResponseBody { writer in
                do {
                    try await produce { event in try await writer.write(event: event) }
                } catch let error as APIError {
                    try await writer.write(event: error.json)
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
}

extension ResponseBodyWriter {
    mutating func write(event: JSONValue) async throws {
        var text = "data: "
        JSONWriter.write(event, into: &text)
        text += "\n\n"
        try await write(ByteBuffer(string: text))
    }
}
