import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client for `apus bench serve`: one request per connection, and the arrival time of every
/// body read, so a streamed (SSE) response can be timed chunk by chunk. NIOHTTP1 undoes chunked encoding.
enum BenchHTTPClient {
    struct Response: Sendable {
        struct Part: Sendable {
            var at: ContinuousClock.Instant
            var bytes: ByteBuffer
        }

        var status: Int
        var parts: [Part]

        var body: String {
            parts.map { String(buffer: $0.bytes) }.joined()
        }
    }

    /// Sends one request and returns when the response has ended (or fails on timeout, close, or cancellation).
    static func send(
        host: String, port: Int, method: HTTPMethod, path: String, headers: [(String, String)] = [],
        body: String? = nil, timeout: Duration
    ) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: Response.self)
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(promise: promise))
                }
            }
            .connect(host: host, port: port).get()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "User-Agent", value: "apus-bench")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.utf8.count)) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let nanos = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let timer = loop.scheduleTask(in: .nanoseconds(nanos)) {
            promise.fail(BenchError("no complete response within \(timeout)"))
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
            channel.close(promise: nil)
        }
    }

    /// Collects the response on the event loop; the promise is completed exactly once.
    final class ResponseHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart

        private let promise: EventLoopPromise<Response>
        private var response = Response(status: 0, parts: [])
        private var finished = false

        init(promise: EventLoopPromise<Response>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): response.status = Int(head.status.code)
            case .body(let bytes): response.parts.append(.init(at: .now, bytes: bytes))
            case .end:
                finish(.success(response))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(BenchError("connection closed before the response ended")))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failure(error))
            context.close(promise: nil)
        }

        private func finish(_ result: Result<Response, any Error>) {
            guard !finished else { return }
            finished = true
            promise.completeWith(result)
        }
    }
}
