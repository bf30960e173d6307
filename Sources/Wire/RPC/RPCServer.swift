import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A TCP server for Apus RPCs: hello, unary and server-streaming calls multiplexed by call id.
///
/// A `Service`: `run()` binds, serves until graceful shutdown, then stops listening, refuses new calls, waits up to
/// `shutdownGracePeriod` for in-flight ones, and closes every connection. Task cancellation stops it at once. `boundAddress()` gives the port when 0 was asked for.
public final class RPCServer: Service, Sendable {
    public struct Identity: Sendable {
        public var service: String
        public var instanceID: String
        /// When set, clients must present it at hello.
        public var authToken: String?
        public var maxFrameBytes: Int
        /// When set, every connection is TLS (mutual TLS with `requireClientCertificate`); nil serves plaintext.
        public var tls: TLSConfiguration?
        /// Output a peer may leave unread (queued beyond NIO's write buffer) before its connection is closed.
        public var maxPendingOutboundBytes: Int

        public init(service: String, instanceID: String = RPCServer.randomInstanceID(), authToken: String? = nil,
                    maxFrameBytes: Int = FrameDecoder.defaultMaxFrameBytes, tls: TLSConfiguration? = nil,
                    maxPendingOutboundBytes: Int = OutboundQueue.defaultMaxPendingBytes) {
            self.service = service
            self.instanceID = instanceID
            self.authToken = authToken
            self.maxFrameBytes = maxFrameBytes
            self.tls = tls
            self.maxPendingOutboundBytes = maxPendingOutboundBytes
        }
    }

    public let host: String
    public let port: Int
    public let identity: Identity
    public let shutdownGracePeriod: Duration
    private let handlers: RPCHandlers
    private let group: any EventLoopGroup
    private let logger: Logger
    private let tracker = CallTracker()
    private let bound: EventLoopPromise<SocketAddress>
    private let connections = NIOLockedValueBox([ObjectIdentifier: any Channel]())

    public init(host: String, port: Int, identity: Identity, handlers: RPCHandlers,
                shutdownGracePeriod: Duration = .seconds(30),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "apus.rpc.server")) {
        self.host = host
        self.port = port
        self.identity = identity
        self.handlers = handlers
        self.shutdownGracePeriod = shutdownGracePeriod
        self.group = group
        self.logger = logger
        self.bound = group.next().makePromise(of: SocketAddress.self)
    }

    public static func randomInstanceID() -> String {
        String((0..<16).map { _ in "0123456789abcdef".randomElement()! })
    }

    /// The address the listener bound (waits for `run()` to bind).
    public func boundAddress() async throws -> SocketAddress {
        try await bound.futureResult.get()
    }

    /// In-flight calls right now.
    public var activeCalls: Int { tracker.active }

    public func run() async throws {
        let channel: any Channel
        do {
            let tls = try identity.tls.map(TLSContext.server)
            channel = try await makeBootstrap(tls: tls).bind(host: host, port: port).get()
        } catch {
            bound.fail(error)
            throw error
        }
        bound.succeed(channel.localAddress!)
        logger.info("\(identity.service) listening on \(channel.localAddress!)")
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        if !Task.isCancelled {
            logger.info("\(identity.service) draining \(tracker.active) in-flight calls")
            await drain(within: shutdownGracePeriod)
        }
        let open = connections.withLockedValue { c in
            defer { c.removeAll() }
            return Array(c.values)
        }
        for child in open { try? await child.close() }
    }

    /// Waits for in-flight calls to finish, at most `limit`.
    private func drain(within limit: Duration) async {
        let tracker = self.tracker
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await tracker.drain() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func makeBootstrap(tls: TLSContext?) -> ServerBootstrap {
        let handlers = self.handlers
        let identity = self.identity
        let tracker = self.tracker
        let logger = self.logger
        let connections = self.connections
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // NIO's own write buffer: a step's burst of frames for a thousand streams stays under it; beyond it
            // the OutboundQueue holds frames back until the peer reads.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = connections.withLockedValue { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            OpenSSLHandler.rpcServer(tls, service: identity.service, logger: logger))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameBytes: identity.maxFrameBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        ServerConnectionHandler(handlers: handlers, identity: identity, tracker: tracker, logger: logger))
                }
            }
    }
}
