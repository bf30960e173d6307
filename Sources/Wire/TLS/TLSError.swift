/// A TLS failure on one connection (handshake, verification, a bad record) or a configuration that cannot load.
///
/// The message is meant for operators, e.g. "TLS handshake failed: certificate verify failed (self-signed
/// certificate)". It ends only the connection it happened on.
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
