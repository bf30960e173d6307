import Logging
import NIOCore

/// TLS for one channel through the system OpenSSL: ciphertext below it, plaintext ByteBuffers above it.
///
/// Sits first in the pipeline. The handshake starts when the channel becomes active (client: ClientHello;
/// server: waits for one); application writes made before it completes are held and sent right after. Any TLS
/// failure (handshake, certificate verification, a bad record, the handshake timeout) is logged, fired as a
/// `TLSError` through `errorCaught`, and closes only this channel. Closing sends close_notify first. When
/// `refusal` is given, two failures also tell the peer why in its own protocol: a peer whose first byte is not a
/// TLS handshake record gets the refusal in the clear (a client without TLS reads an error, not a reset), and a
/// peer whose certificate names none of `allowedPeerNames` gets it encrypted.
final class OpenSSLHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case idle, handshaking, active, closed, failed
    }

    private let connection: TLSConnection
    private let handshakeTimeout: Duration
    private let allowedPeerNames: [String]
    private let refusal: ((Refusal) -> ByteBuffer)?
    private let logger: Logger?
    private var state = State.idle
    private var sawPeerBytes = false
    /// Plaintext written but not yet encrypted (until flush, or until the handshake completes).
    private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var flushRequested = false
    private var handshakeTimer: Scheduled<Void>?

    /// The peer's certificate identity once the handshake is done (nil before, or when it sent none).
    private(set) var peer: TLSPeerIdentity?

    /// Why a connection was refused, for the message sent to the peer.
    enum Refusal {
        case plaintextPeer
        case peerNotAllowed(TLSError)
    }

    init(
        context: TLSContext, role: TLSConnection.Role, refusal: ((Refusal) -> ByteBuffer)? = nil,
        logger: Logger? = nil
    ) throws {
        self.connection = try TLSConnection(context: context, role: role)
        self.handshakeTimeout = context.configuration.handshakeTimeout
        self.allowedPeerNames = context.configuration.allowedPeerNames
        self.refusal = refusal
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startHandshake(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .handshaking
        let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let nanos = Int64(handshakeTimeout.components.seconds) * 1_000_000_000
            + Int64(handshakeTimeout.components.attoseconds / 1_000_000_000)
        handshakeTimer = context.eventLoop.scheduleTask(in: .nanoseconds(nanos)) {
            guard loop.value.state == .handshaking else { return }
            loop.value.fail(TLSError("TLS handshake timed out after \(loop.value.handshakeTimeout)"), bound.value)
        }
        advanceHandshake(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard state == .handshaking || state == .active else { return }
        if !sawPeerBytes, let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) {
            sawPeerBytes = true
            // 0x16: TLS handshake record; anything else is not TLS.
            if first != 0x16 && !connection.isHandshakeDone { return rejectPlaintext(context: context) }
        }
        connection.feed(bytes)
        if state == .handshaking { advanceHandshake(context: context) }
        if state == .active { readPlaintext(context: context, capacity: bytes.readableBytes) }
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        let step = connection.handshake()
        sendCiphertext(context: context)
        switch step {
        case .wantRead: return
        case .closed: fail(TLSError("TLS handshake failed: the peer closed the connection"), context)
        case .failed(let error): fail(error, context)
        case .done:
            state = .active
            handshakeTimer?.cancel()
            handshakeTimer = nil
            peer = connection.peerIdentity()
            if !allowedPeerNames.isEmpty && !connection.peerNamesAny(of: allowedPeerNames) {
                return refuseIdentity(context: context)
            }
            context.fireUserInboundEventTriggered(TLSHandshakeCompleted(peer: peer))
            if flushRequested { encryptPendingWrites(context: context) }
        }
    }

    private func readPlaintext(context: ChannelHandlerContext, capacity: Int) {
        var plaintext = context.channel.allocator.buffer(capacity: capacity)
        let step = connection.read(into: &plaintext)
        sendCiphertext(context: context)  // alerts, key updates
        if plaintext.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(plaintext)) }
        switch step {
        case .done, .wantRead: return
        case .closed: context.close(promise: nil)
        case .failed(let error): fail(error, context)
        }
    }

    private func rejectPlaintext(context: ChannelHandlerContext) {
        let error = TLSError("TLS handshake failed: the peer did not start a TLS handshake (plaintext client?)")
        if let reply = refusal?(.plaintextPeer) { context.writeAndFlush(wrapOutboundOut(reply), promise: nil) }
        fail(error, context)
    }

    /// The handshake verified but the certificate names nobody allowed: say so encrypted, then close.
    private func refuseIdentity(context: ChannelHandlerContext) {
        let error = TLSError("""
            TLS peer not allowed: its certificate (\(peer?.subject ?? "none")) names none of \
            \(allowedPeerNames.joined(separator: ", "))
            """)
        if let reply = refusal?(.peerNotAllowed(error)), connection.write(reply) == nil { connection.shutdown() }
        fail(error, context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard state == .idle || state == .handshaking || state == .active else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        pendingWrites.append((unwrapOutboundIn(data), promise))
    }

    func flush(context: ChannelHandlerContext) {
        flushRequested = true
        if state == .active { encryptPendingWrites(context: context) }
    }

    /// Encrypts every held write, coalescing small frames into few records, and sends the ciphertext once.
    private func encryptPendingWrites(context: ChannelHandlerContext) {
        flushRequested = false
        guard !pendingWrites.isEmpty else { return }
        let writes = pendingWrites
        pendingWrites.removeAll(keepingCapacity: true)
        var plaintext: ByteBuffer
        if writes.count == 1 {
            plaintext = writes[0].0
        } else {
            plaintext = context.channel.allocator.buffer(capacity: writes.reduce(0) { $0 + $1.0.readableBytes })
            for (buffer, _) in writes { plaintext.writeImmutableBuffer(buffer) }
        }
        let promises = writes.compactMap(\.1)
        if let error = connection.write(plaintext) {
            promises.forEach { $0.fail(error) }
            return fail(error, context)
        }
        var combined: EventLoopPromise<Void>?
        if !promises.isEmpty {
            let p = context.eventLoop.makePromise(of: Void.self)
            p.futureResult.whenComplete { result in promises.forEach { $0.completeWith(result) } }
            combined = p
        }
        sendCiphertext(context: context, promise: combined)
    }

    private func sendCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        guard let ciphertext = connection.takeCiphertext(allocator: context.channel.allocator) else {
            promise?.succeed(())
            return
        }
        context.writeAndFlush(wrapOutboundOut(ciphertext), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode != .input else { return context.close(mode: mode, promise: promise) }
        if state == .active {
            encryptPendingWrites(context: context)
            connection.shutdown()
            sendCiphertext(context: context)
        }
        if state == .active || state == .handshaking || state == .idle { state = .closed }  // closed here, not by the peer
        handshakeTimer?.cancel()
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state == .handshaking {
            state = .failed
            context.fireErrorCaught(TLSError("TLS handshake failed: the peer closed the connection"))
        }
        state = .closed
        handshakeTimer?.cancel()
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    /// Ends this connection for a TLS failure: sends any alert OpenSSL queued, reports, closes.
    private func fail(_ error: TLSError, _ context: ChannelHandlerContext) {
        guard state != .failed && state != .closed else { return }
        state = .failed
        handshakeTimer?.cancel()
        sendCiphertext(context: context)
        failPendingWrites(error)
        logger?.warning("TLS with \(context.remoteAddress?.description ?? "?") failed: \(error.message)")
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func failPendingWrites(_ error: any Error) {
        let writes = pendingWrites
        pendingWrites.removeAll()
        for (_, promise) in writes { promise?.fail(error) }
    }
}

/// Fired inbound once a TLS handshake completes; carries the peer's certificate identity when it sent one.
public struct TLSHandshakeCompleted: Sendable, Hashable {
    public var peer: TLSPeerIdentity?
}
