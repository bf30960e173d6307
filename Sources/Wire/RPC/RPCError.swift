/// A failed call: a gRPC status code and a human-readable message, as carried by ERROR / STREAM_END frames.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String

    public init(_ code: StatusCode, _ message: String) {
        self.code = code
        self.message = message
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
