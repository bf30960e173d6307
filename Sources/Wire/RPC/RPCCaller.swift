/// The client side of the wire: calls on one server, over a connection (`RPCClient`) or straight into a handler
/// table in this process (`InProcessRPCClient`).
///
/// Both keep the same contract: requests and responses go through the frame codec; a call's error is an `RPCError`
/// whose origin says whether the server sent it or the transport failed; a timeout ends the call with
/// DEADLINE_EXCEEDED on both sides; ending a stream's iteration early, cancelling the caller's task, or
/// `RPCEncodedResponseStream.cancel` cancels the server's handler. `EngineClient`s are built on it.
public protocol RPCCaller: Sendable {
    /// The server's hello: its service name and the instance id of its process.
    func serverHello() async throws -> ApusV1.Hello

    /// One request, one response.
    func unary<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as: Response.Type, timeout: Duration?, metadata: [MetadataEntry],
        waitForReady: Bool
    ) async throws -> Response

    /// One request, a stream of responses.
    func serverStream<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as: Response.Type, timeout: Duration?, metadata: [MetadataEntry],
        waitForReady: Bool
    ) async throws -> RPCResponseStream<Response>

    /// One already encoded request, a stream of responses as their encoded bytes (a forwarder's call).
    func serverStreamEncoded(
        _ method: String, _ payload: [UInt8], timeout: Duration?, metadata: [MetadataEntry], waitForReady: Bool
    ) async throws -> RPCEncodedResponseStream

    /// Ends the client: calls in flight fail with UNAVAILABLE, and so do later ones.
    func close() async
}

extension RPCCaller {
    /// A unary call without metadata that fails fast when the server cannot be reached.
    public func unary<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as type: Response.Type = Response.self, timeout: Duration? = nil
    ) async throws -> Response {
        try await unary(method, request, as: type, timeout: timeout, metadata: [], waitForReady: false)
    }

    /// A server-streaming call without metadata that fails fast when the server cannot be reached.
    public func serverStream<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as type: Response.Type = Response.self, timeout: Duration? = nil
    ) async throws -> RPCResponseStream<Response> {
        try await serverStream(method, request, as: type, timeout: timeout, metadata: [], waitForReady: false)
    }
}
