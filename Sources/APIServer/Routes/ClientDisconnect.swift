import Hummingbird
import NIOCore

/// Runs an operation that is cancelled when the client closes its side of the connection or drops it.
///
/// A handler is placed first in the connection's pipeline for the duration of the operation; it sees the
/// input-closed event (Hummingbird allows half-closure, so a client's FIN does not close the channel) and the
/// channel going inactive. Without this a non-streaming request, or a stream still waiting for its first token,
/// would run to the end for nobody. The handler is removed before this returns, on every path.
enum ClientDisconnect {
    struct ClientGone: Error {}

    static func cancellingOnClose<Value: Sendable>(
        _ channel: any Channel, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let name = "apus.disconnect.\(APIServer.randomHex(6))"
        do {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(Watcher(promise), name: name, position: .first)
            }.get()
        } catch {
            promise.succeed()
            return try await operation()
        }
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try? await promise.futureResult.get()
                return nil
            }
            let first: Result<Value?, any Error>
            do { first = .success(try await group.next()!) } catch { first = .failure(error) }
            group.cancelAll()
            try? await channel.pipeline.removeHandler(name: name).get()
            promise.succeed()
            guard let value = try first.get() else { throw ClientGone() }
            return value
        }
    }

    /// Completes `closed` on input-closed or inactive; passes everything on untouched.
    final class Watcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let closed: EventLoopPromise<Void>

        init(_ closed: EventLoopPromise<Void>) { self.closed = closed }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.fireChannelRead(data) }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed { closed.succeed() }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.succeed()
            context.fireChannelInactive()
        }
    }
}
