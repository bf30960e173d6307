import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Per-connection guard between the HTTP codec and Hummingbird: the request read deadline and closing after a
/// response marked `Connection: close` (see `HTTPLimits`).
///
/// The deadline runs while the connection waits for a request — from accept, and again after each answered
/// request — and stops when a whole request (head, body and end) is in; if it passes, the connection is closed.
/// So a client trickling its headers or body (slowloris) holds one connection for at most the timeout, and a
/// request being answered, however long it streams, is never cut off. A response whose head says
/// `Connection: close` (the 413 of an oversized body) closes the connection once it is written; the rest of that
/// request's body is dropped unread instead of being passed up.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let readTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Requests read whole and not yet answered; the deadline runs only while this is 0.
    private var unanswered = 0
    private var closeAfterResponse = false

    init(readTimeout: TimeAmount) {
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armDeadline(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        if deadline == nil { armDeadline(context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closeAfterResponse else { return }
        if case .end = unwrapInboundIn(data) {
            unanswered += 1
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard !closeAfterResponse else {
                let written = context.eventLoop.makePromise(of: Void.self)
                let channel = context.channel
                written.futureResult.whenComplete { _ in channel.close(promise: nil) }
                written.futureResult.cascade(to: promise)
                context.write(data, promise: written)
                return
            }
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 { armDeadline(context) }
            context.write(data, promise: promise)
        }
    }

    private func armDeadline(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: readTimeout) {
            channel.close(promise: nil)
        }
    }
}
