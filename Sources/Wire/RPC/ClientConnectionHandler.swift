import NIOConcurrencyHelpers
import NIOCore

/// The client side of one connection: sends the hello, matches response frames to pending calls by call id,
/// answers pings, and detects a dead peer by keepalive.
///
/// Lives on the channel's event loop; `RPCClientConnection` talks to it only by hopping onto that loop.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    enum Pending {
        case unary(EventLoopPromise<Frame>)
        case stream(AsyncThrowingStream<Frame, any Error>.Continuation)
    }

    private var pending: [UInt64: Pending] = [:]
    private let helloPromise: EventLoopPromise<ApusV1.Hello>
    private let hello: ApusV1.Hello
    private let keepalive: RPCClient.Keepalive
    private var lastRead = NIODeadline.now()
    private var keepaliveTask: RepeatedTask?
    private var closedError: RPCError?
    private var context: ChannelHandlerContext?
    private var helloSettled = false

    /// Why the connection ended, for calls that arrive after it did.
    let closeReason: NIOLockedValueBox<RPCError?>
    /// The client's record of its last read, stamped for every frame.
    private let lastReadStamp: ReadStamp

    init(hello: ApusV1.Hello, helloPromise: EventLoopPromise<ApusV1.Hello>, keepalive: RPCClient.Keepalive,
         closeReason: NIOLockedValueBox<RPCError?>, lastRead: ReadStamp) {
        self.closeReason = closeReason
        self.lastReadStamp = lastRead
        self.hello = hello
        self.helloPromise = helloPromise
        self.keepalive = keepalive
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        FrameEncoder.write(Frame(callID: 0, kind: .hello), message: hello, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        startKeepalive(context: context)
        context.fireChannelActive()
    }

    private func startKeepalive(context: ChannelHandlerContext) {
        guard let interval = keepalive.interval else { return }
        let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
        let nioInterval = TimeAmount.nanoseconds(Int64(interval.components.seconds) * 1_000_000_000
            + Int64(interval.components.attoseconds / 1_000_000_000))
        let timeoutNanos = Int64(keepalive.timeout.components.seconds) * 1_000_000_000
            + Int64(keepalive.timeout.components.attoseconds / 1_000_000_000)
        keepaliveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: nioInterval, delay: nioInterval) { _ in
            loop.value.keepaliveTick(silenceLimit: nioInterval + .nanoseconds(timeoutNanos))
        }
    }

    private func keepaliveTick(silenceLimit: TimeAmount) {
        guard let context else { return }
        if NIODeadline.now() - lastRead > silenceLimit {
            failAll(RPCError(.unavailable, "peer did not answer keepalive pings; connection closed", origin: .transport))
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(FrameEncoder.encode(Frame(callID: 0, kind: .ping))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        lastReadStamp.stamp()
        let frame = unwrapInboundIn(data)
        switch frame.kind {
        case .hello:
            do {
                settleHello(.success(try ApusV1.Hello(decoding: frame.payload)))
            } catch {
                settleHello(.failure(RPCError(.internal, "bad hello from server: \(error)")))
            }
        case .response:
            if case .unary(let promise) = pending.removeValue(forKey: frame.callID) { promise.succeed(frame) }
        case .streamMessage:
            if case .stream(let continuation) = pending[frame.callID] { continuation.yield(frame) }
        case .streamEnd:
            if case .stream(let continuation) = pending.removeValue(forKey: frame.callID) { continuation.finish() }
        case .error:
            let error = RPCError(frame.status, frame.statusMessage)
            if frame.callID == 0 {
                settleHello(.failure(error))
                failAll(error)
                context.close(promise: nil)
            } else {
                fail(frame.callID, error)
            }
        case .ping: context.writeAndFlush(
            wrapOutboundOut(FrameEncoder.encode(Frame(callID: frame.callID, kind: .pong, payload: frame.payload))),
            promise: nil)
        default: break
        }
    }

    private func settleHello(_ result: Result<ApusV1.Hello, RPCError>) {
        guard !helloSettled else { return }
        helloSettled = true
        helloPromise.completeWith(result.mapError { $0 as any Error })
    }

    /// Registers a call and writes its request; fails at once if the connection is gone.
    func start(callID: UInt64, pending call: Pending, request: ByteBuffer) {
        guard let context, closedError == nil else {
            return Self.fail(call, closedError ?? RPCError(.unavailable, "connection closed", origin: .transport))
        }
        pending[callID] = call
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    /// Ends a call locally (deadline, task cancellation) and tells the server to stop it.
    func cancel(callID: UInt64, error: RPCError) {
        guard let call = pending.removeValue(forKey: callID) else { return }
        Self.fail(call, error)
        context?.writeAndFlush(wrapOutboundOut(FrameEncoder.encode(Frame(callID: callID, kind: .cancel))), promise: nil)
    }

    private func fail(_ callID: UInt64, _ error: RPCError) {
        if let call = pending.removeValue(forKey: callID) { Self.fail(call, error) }
    }

    private static func fail(_ call: Pending, _ error: RPCError) {
        switch call {
        case .unary(let promise): promise.fail(error)
        case .stream(let continuation): continuation.finish(throwing: error)
        }
    }

    private func failAll(_ error: RPCError) {
        closedError = closedError ?? error
        let reason = closedError
        closeReason.withLockedValue { $0 = $0 ?? reason }
        let calls = pending
        pending.removeAll()
        for (_, call) in calls { Self.fail(call, error) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        keepaliveTask?.cancel()
        settleHello(.failure(closedError ?? RPCError(.unavailable, "connection closed before hello", origin: .transport)))
        failAll(closedError ?? RPCError(.unavailable, "connection to the server was lost", origin: .transport))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let rpcError = (error as? FrameError).map { RPCError($0.status, $0.description, origin: .transport) }
            ?? RPCError(.unavailable, "connection failed: \(error)", origin: .transport)
        failAll(rpcError)
        context.close(promise: nil)
    }
}
