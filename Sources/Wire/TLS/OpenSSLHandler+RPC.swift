import Logging
import NIOCore

extension OpenSSLHandler {
    /// The handler an `RPCServer` puts first on each accepted connection.
    ///
    /// A client that sends a plaintext hello gets a FAILED_PRECONDITION error frame in the clear saying the server
    /// needs TLS; one whose certificate is not in `allowedPeerNames` gets PERMISSION_DENIED. Then it closes.
    static func rpcServer(_ tls: TLSContext, service: String, logger: Logger) throws -> OpenSSLHandler {
        try OpenSSLHandler(context: tls, role: .server, refusal: { reason in
            let frame = switch reason {
            case .plaintextPeer:
                Frame(callID: 0, kind: .error, status: .failedPrecondition,
                      statusMessage: "\(service) requires TLS on its wire port; enable TLS on the client (--tls-ca)")
            case .peerNotAllowed(let error):
                Frame(callID: 0, kind: .error, status: .permissionDenied,
                      statusMessage: "\(service) refused the connection: \(error.message)")
            }
            return FrameEncoder.encode(frame)
        }, logger: logger)
    }

    /// The handler an `RPCClient` puts first on its connection; `host` is the name checked when the configuration
    /// names no `serverName`.
    static func rpcClient(_ configuration: TLSConfiguration, host: String) throws -> OpenSSLHandler {
        let tls = try TLSContext.shared(for: configuration)
        return try OpenSSLHandler(context: tls, role: .client(serverName: configuration.serverName ?? host))
    }
}
