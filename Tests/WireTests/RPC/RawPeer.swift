import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import Wire

/// A bare TCP peer that writes whatever bytes a test wants and records the frames it gets back.
final class RawPeer: Sendable {
    let channel: any Channel
    private let received: NIOLockedValueBox<[Frame]>
    let closed: EventLoopFuture<Void>

    private init(channel: any Channel, received: NIOLockedValueBox<[Frame]>) {
        self.channel = channel
        self.received = received
        self.closed = channel.closeFuture
    }

    /// `reading: false` never reads from the socket (a peer that stopped consuming), with a small receive
    /// buffer so the server feels it soon.
    static func connect(port: Int, reading: Bool = true) async throws -> RawPeer {
        let received = NIOLockedValueBox([Frame]())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
            .channelOption(.socketOption(.so_rcvbuf), value: reading ? 1 << 20 : 16 << 10)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawPeer(channel: channel, received: received)
    }

    func send(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    func sendHello(version: UInt32 = WireProtocol.version, token: String = "") async throws {
        let hello = ApusV1.Hello(protocolVersion: version, service: "raw", instanceID: "raw-1", authToken: token,
                                 maxFrameBytes: 1 << 20)
        var buffer = channel.allocator.buffer(capacity: 64)
        FrameEncoder.write(Frame(callID: 0, kind: .hello), message: hello, into: &buffer)
        try await send(buffer)
    }

    var frames: [Frame] { received.withLockedValue { $0 } }

    /// Waits until the server closes the connection (or the timeout passes); true if it closed.
    func waitForClose(timeout: Duration) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if !channel.isActive { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return !channel.isActive
    }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = Frame
        let received: NIOLockedValueBox<[Frame]>
        init(received: NIOLockedValueBox<[Frame]>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            received.withLockedValue { $0.append(frame) }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
