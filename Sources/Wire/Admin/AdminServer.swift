import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The HTTP admin listener every service runs: `/livez`, `/readyz`, `/metrics` (Prometheus text).
///
/// It has its own event-loop thread, so Kubernetes probes and scrapes are answered even while the request path is
/// saturated. Readiness is the health service's overall ("") status.
public final class AdminServer: Service, Sendable {
    public let host: String
    public let port: Int
    private let health: HealthService
    private let registry: PrometheusCollectorRegistry
    private let group: MultiThreadedEventLoopGroup
    private let bound: EventLoopPromise<SocketAddress>
    private let logger: Logger

    public init(host: String, port: Int, health: HealthService, registry: PrometheusCollectorRegistry,
                logger: Logger = Logger(label: "apus.admin")) {
        self.host = host
        self.port = port
        self.health = health
        self.registry = registry
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.bound = group.next().makePromise(of: SocketAddress.self)
        self.logger = logger
    }

    public func boundAddress() async throws -> SocketAddress {
        try await bound.futureResult.get()
    }

    public func run() async throws {
        let health = self.health
        let registry = self.registry
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(AdminHTTPHandler(health: health, registry: registry))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            bound.fail(error)
            throw error
        }
        bound.succeed(channel.localAddress!)
        logger.info("admin listening on http://\(channel.localAddress!) (/livez /readyz /metrics)")
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        try? await group.shutdownGracefully()
    }
}

/// Answers one admin request per HTTP request on the admin loop.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let health: HealthService
    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(health: HealthService, registry: PrometheusCollectorRegistry) {
        self.health = health
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            let (status, type, body) = respond(to: head)
            var headers = HTTPHeaders([("content-type", type), ("content-length", "\(body.count)")])
            if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
            }
            self.head = nil
        }
    }

    private func respond(to head: HTTPRequestHead) -> (HTTPResponseStatus, String, [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.GET, "/livez"), (.HEAD, "/livez"):
            return (.ok, "text/plain", Array("ok\n".utf8))
        case (.GET, "/readyz"), (.HEAD, "/readyz"):
            let status = health.status(of: "") ?? .notServing
            return status == .serving
                ? (.ok, "text/plain", Array("ready\n".utf8))
                : (.serviceUnavailable, "text/plain", Array("not ready: \(status)\n".utf8))
        case (.GET, "/metrics"):
            var out: [UInt8] = []
            registry.emit(into: &out)
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", out)
        default:
            return (.notFound, "text/plain", Array("not found: \(path)\n".utf8))
        }
    }
}
