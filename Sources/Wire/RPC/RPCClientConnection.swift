import NIOConcurrencyHelpers
import NIOCore

/// One established client connection (hello done). Calls hop onto its event loop to register and write.
final class RPCClientConnection: Sendable {
    let channel: any Channel
    let serverHello: ApusV1.Hello
    let closeReason: NIOLockedValueBox<RPCError?>

    init(channel: any Channel, serverHello: ApusV1.Hello, closeReason: NIOLockedValueBox<RPCError?>) {
        self.channel = channel
        self.serverHello = serverHello
        self.closeReason = closeReason
    }

    /// The error for a call that finds the connection already gone.
    var closedError: RPCError {
        closeReason.withLockedValue { $0 } ?? RPCError(.unavailable, "connection to the server was lost", origin: .transport)
    }

    private func handler() throws -> NIOLoopBound<ClientConnectionHandler> {
        let h = try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
        return NIOLoopBound(h, eventLoop: channel.eventLoop)
    }

    private func encode<Request: WireMessage>(_ header: Frame, _ request: Request) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: 64)
        FrameEncoder.write(header, message: request, into: &buffer)
        return buffer
    }

    func unary<Request: WireMessage>(
        callID: UInt64, header: Frame, request: Request, timeout: Duration?
    ) async throws -> Frame {
        let buffer = encode(header, request)
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Frame.self)
        loop.execute { [self] in
            do {
                let h = try handler()
                h.value.start(callID: callID, pending: .unary(promise), request: buffer)
                if let timeout {
                    loop.scheduleTask(in: .nanoseconds(Self.nanos(timeout))) {
                        h.value.cancel(callID: callID, error: RPCError(.deadlineExceeded, "deadline exceeded"))
                    }
                }
            } catch {
                promise.fail(closedError)
            }
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: { [self] in
            cancel(callID: callID, RPCError(.cancelled, "call cancelled by the client"))
        }
    }

    func stream<Request: WireMessage>(
        callID: UInt64, header: Frame, request: Request, timeout: Duration?
    ) -> AsyncThrowingStream<Frame, any Error> {
        stream(callID: callID, buffer: encode(header, request), timeout: timeout)
    }

    /// A stream whose request payload is already in `header.payload`.
    func stream(callID: UInt64, encoded header: Frame, timeout: Duration?) -> AsyncThrowingStream<Frame, any Error> {
        var buffer = channel.allocator.buffer(capacity: 64 + header.payload.count)
        FrameEncoder.write(header, into: &buffer)
        return stream(callID: callID, buffer: buffer, timeout: timeout)
    }

    private func stream(callID: UInt64, buffer: ByteBuffer, timeout: Duration?) -> AsyncThrowingStream<Frame, any Error> {
        let (frames, continuation) = AsyncThrowingStream<Frame, any Error>.makeStream()
        continuation.onTermination = { [self] termination in
            if case .cancelled = termination { cancel(callID: callID, RPCError(.cancelled, "stream cancelled")) }
        }
        let loop = channel.eventLoop
        loop.execute { [self] in
            do {
                let h = try handler()
                h.value.start(callID: callID, pending: .stream(continuation), request: buffer)
                if let timeout {
                    loop.scheduleTask(in: .nanoseconds(Self.nanos(timeout))) {
                        h.value.cancel(callID: callID, error: RPCError(.deadlineExceeded, "deadline exceeded"))
                    }
                }
            } catch {
                continuation.finish(throwing: closedError)
            }
        }
        return frames
    }

    func cancel(callID: UInt64, _ error: RPCError) {
        channel.eventLoop.execute { [self] in
            try? handler().value.cancel(callID: callID, error: error)
        }
    }

    static func nanos(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }
}
