/// The responses of a server-streaming call, decoded as they are consumed.
public struct RPCResponseStream<Message: WireMessage>: AsyncSequence, Sendable {
    let frames: AsyncThrowingStream<Frame, any Error>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: AsyncThrowingStream<Frame, any Error>.AsyncIterator

        public mutating func next() async throws -> Message? {
            guard let frame = try await inner.next() else { return nil }
            return try Message(decoding: frame.payload)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: frames.makeAsyncIterator())
    }
}

/// The responses of a server-streaming call as their encoded bytes.
public struct RPCEncodedResponseStream: AsyncSequence, Sendable {
    let frames: AsyncThrowingStream<Frame, any Error>
    let cancelCall: @Sendable (RPCError) -> Void

    /// Ends the call from any thread: the server is told, and iteration ends by throwing `error` (nothing once the
    /// stream has ended).
    public func cancel(_ error: RPCError) { cancelCall(error) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: AsyncThrowingStream<Frame, any Error>.AsyncIterator

        public mutating func next() async throws -> [UInt8]? {
            try await inner.next()?.payload
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: frames.makeAsyncIterator())
    }
}
