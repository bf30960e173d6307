import Logging
import NIOCore
import ServingCore

/// One accepted connection: checks the hello, starts a task per call, routes CANCEL and PING, enforces deadlines.
///
/// Lives on its channel's event loop. Handlers run as tasks off the loop and answer through the `OutboundQueue`.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    struct Call {
        var task: Task<Void, Never>
        var deadlineTimer: Scheduled<Void>?
    }

    private let handlers: RPCHandlers
    private let identity: RPCServer.Identity
    private let tracker: CallTracker
    private let logger: Logger
    private var outbound: OutboundQueue?
    private var calls: [UInt64: Call] = [:]
    private var peer: (service: String, instanceID: String)?
    private var remoteAddress = ""
    private var executor: EventLoopTaskExecutor?

    /// The executor of handlers registered to run on this connection's event loop (made at the first such call).
    private func loopExecutor(_ loop: any EventLoop) -> EventLoopTaskExecutor {
        if let executor { return executor }
        let made = EventLoopTaskExecutor(loop)
        executor = made
        return made
    }

    init(handlers: RPCHandlers, identity: RPCServer.Identity, tracker: CallTracker, logger: Logger) {
        self.handlers = handlers
        self.identity = identity
        self.tracker = tracker
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.remoteAddress?.description ?? "?"
        let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
        let (logger, remote, limit) = (logger, remoteAddress, identity.maxPendingOutboundBytes)
        outbound = OutboundQueue(
            channel: context.channel, maxPendingBytes: limit,
            onCallEnded: { callID in loop.value.callEnded(callID) },
            onOverflow: { bytes in
                logger.warning(
                    "closing connection from \(remote): \(bytes) bytes of output unread (limit \(limit)); its calls are cancelled")
            })
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let outbound else { return }
        guard let peer else { return acceptHello(frame, context: context, outbound: outbound) }
        switch frame.kind {
        case .request: startCall(frame, peer: peer, context: context, outbound: outbound)
        case .cancel:
            if let call = calls.removeValue(forKey: frame.callID) {
                call.task.cancel()
                call.deadlineTimer?.cancel()
                outbound.retire(callID: frame.callID)
                tracker.end()
            }
        case .ping: outbound.sendControl(Frame(callID: frame.callID, kind: .pong, payload: frame.payload))
        case .pong, .hello: break
        default:
            outbound.sendControl(
                Frame(callID: frame.callID, kind: .error, status: .invalidArgument,
                      statusMessage: "unexpected \(frame.kind) frame from a client"))
        }
    }

    private func acceptHello(_ frame: Frame, context: ChannelHandlerContext, outbound: OutboundQueue) {
        guard frame.kind == .hello, let hello = try? ApusV1.Hello(decoding: frame.payload) else {
            return refuse(.failedPrecondition, "expected a hello frame first", context: context)
        }
        guard hello.protocolVersion == WireProtocol.version else {
            return refuse(
                .failedPrecondition,
                "protocol version \(hello.protocolVersion) is not supported; \(identity.service) speaks version \(WireProtocol.version)",
                context: context)
        }
        if let secret = identity.authToken, !ConstantTime.equals(hello.authToken, secret) {
            return refuse(.unauthenticated, "bad or missing auth token at hello", context: context)
        }
        peer = (hello.service, hello.instanceID)
        let reply = ApusV1.Hello(
            protocolVersion: WireProtocol.version, service: identity.service, instanceID: identity.instanceID,
            authToken: "", maxFrameBytes: UInt32(clamping: identity.maxFrameBytes))
        var buffer = context.channel.allocator.buffer(capacity: 64)
        FrameEncoder.write(Frame(callID: 0, kind: .hello), message: reply, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func startCall(
        _ frame: Frame, peer: (service: String, instanceID: String), context: ChannelHandlerContext,
        outbound: OutboundQueue
    ) {
        let callID = frame.callID
        guard calls[callID] == nil else {
            return outbound.sendControl(
                Frame(callID: callID, kind: .error, status: .alreadyExists, statusMessage: "call id \(callID) is in use"))
        }
        guard let entry = handlers.table[frame.method] else {
            return outbound.sendControl(
                Frame(callID: callID, kind: .error, status: .unimplemented,
                      statusMessage: "method \(frame.method) is not implemented by \(identity.service)"))
        }
        guard tracker.begin() else {
            return outbound.sendControl(
                Frame(callID: callID, kind: .error, status: .unavailable,
                      statusMessage: "\(identity.service) is shutting down"))
        }
        let deadline = frame.deadlineMicros > 0
            ? ContinuousClock.now + .microseconds(Int64(clamping: frame.deadlineMicros)) : nil
        let rpcContext = RPCContext(
            method: frame.method, metadata: frame.metadata, deadline: deadline, peerService: peer.service,
            peerInstanceID: peer.instanceID, remoteAddress: remoteAddress)
        outbound.open(callID: callID)
        let task: Task<Void, Never>
        if entry.onEventLoop {
            task = Task(executorPreference: loopExecutor(context.eventLoop)) {
                await entry.run(frame, rpcContext, outbound)
            }
        } else {
            task = Task { await entry.run(frame, rpcContext, outbound) }
        }
        var timer: Scheduled<Void>?
        if frame.deadlineMicros > 0 {
            let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: .microseconds(Int64(clamping: frame.deadlineMicros))) {
                loop.value.deadlineExpired(callID)
            }
        }
        calls[callID] = Call(task: task, deadlineTimer: timer)
    }

    private func deadlineExpired(_ callID: UInt64) {
        guard let call = calls[callID] else { return }
        // NOTE: fail first: the cancelled handler would otherwise race to end the call as CANCELLED.
        outbound?.fail(callID: callID, RPCError(.deadlineExceeded, "deadline exceeded"))
        call.task.cancel()
    }

    /// Every call ends here exactly once (response, error, cancel, deadline).
    private func callEnded(_ callID: UInt64) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        call.deadlineTimer?.cancel()
        tracker.end()
    }

    private func refuse(_ code: StatusCode, _ message: String, context: ChannelHandlerContext) {
        logger.warning("refusing connection from \(remoteAddress): \(message)")
        let frame = Frame(callID: 0, kind: .error, status: code, statusMessage: message)
        context.writeAndFlush(wrapOutboundOut(FrameEncoder.encode(frame)), promise: nil)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        _ = outbound?.close()
        for (_, call) in calls {
            call.task.cancel()
            call.deadlineTimer?.cancel()
            tracker.end()
        }
        calls.removeAll()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { outbound?.channelBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let frameError = error as? FrameError {
            logger.warning("closing connection from \(remoteAddress): \(frameError)")
            let frame = Frame(callID: 0, kind: .error, status: frameError.status, statusMessage: frameError.description)
            context.writeAndFlush(wrapOutboundOut(FrameEncoder.encode(frame)), promise: nil)
        } else {
            logger.debug("connection from \(remoteAddress) failed: \(error)")
        }
        context.close(promise: nil)
    }
}
