/// A failed call: a gRPC status code and a human-readable message, as carried by ERROR / STREAM_END frames.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Who produced the error: the peer (a status it sent, or a handler's error on the serving side), or this
    /// process's own transport (a connection that could not be made, was lost, or broke the protocol). Callers decide
    /// retries on it (a lost connection is held against the engine, an engine's own UNAVAILABLE is not) instead of
    /// reading messages.
    public enum Origin: Sendable, Equatable {
        case peer
        case transport
    }

    public var code: StatusCode
    public var message: String
    public var origin: Origin

    public init(_ code: StatusCode, _ message: String, origin: Origin = .peer) {
        self.code = code
        self.message = message
        self.origin = origin
    }

    public var description: String { "\(code): \(message)" }

    /// Maps any error a handler threw onto a status: RPCErrors keep theirs, cancellation is CANCELLED, the rest INTERNAL.
    public static func from(_ error: any Error) -> RPCError {
        switch error {
        case let e as RPCError: e
        case is CancellationError: RPCError(.cancelled, "call cancelled")
        case let e as WireDecodingError: RPCError(.invalidArgument, e.message)
        default: RPCError(.internal, String(describing: error))
        }
    }
}

/// The wire protocol version spoken at `hello`; a peer with another major version is refused.
public enum WireProtocol {
    public static let version: UInt32 = 1
}
