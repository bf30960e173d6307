import NIOCore
import Synchronization

/// A client whose server is a handler table in this process: no socket, no connection, the same handlers an
/// `RPCServer` would serve.
///
/// Each call encodes its request frame with `FrameEncoder`, decodes it with `FrameDecoder` as a server would, and
/// runs the method's handler on a task of its own; the handler's frames come back through the codec too
/// (`InProcessCall`). So a message that does not survive the wire fails here as well, errors keep their status
/// codes and origins, a deadline ends the call with DEADLINE_EXCEEDED and cancels the handler, and a caller that
/// stops reading cancels it. Unlike a connection there is nothing to lose or reconnect (`waitForReady` changes
/// nothing), no keepalive, and no backpressure: a stream's messages wait for their reader unbounded.
/// docs/architecture.md §1.3 lists the seams with an in-process side.
public final class InProcessRPCClient: RPCCaller {
    private struct State {
        var closed = false
        var calls: [UInt64: InProcessCall] = [:]
    }

    /// The server it stands for: its service name and instance id are the hello's, its frame limit bounds requests.
    private let identity: RPCServer.Identity
    private let handlers: RPCHandlers
    /// This client's service name and instance id, as the handlers see them in `RPCContext`.
    private let service: String
    private let instanceID = RPCServer.randomInstanceID()
    private let state = Mutex(State())
    private let nextCallID = Atomic<UInt64>(1)

    public init(handlers: RPCHandlers, identity: RPCServer.Identity, service: String = "in-process") {
        self.handlers = handlers
        self.identity = identity
        self.service = service
    }

    public func serverHello() async throws -> ApusV1.Hello {
        guard !state.withLock(\.closed) else { throw closedError }
        return ApusV1.Hello(
            protocolVersion: WireProtocol.version, service: identity.service, instanceID: identity.instanceID,
            authToken: "", maxFrameBytes: UInt32(clamping: identity.maxFrameBytes))
    }

    public func unary<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, timeout: Duration? = nil,
        metadata: [MetadataEntry] = [], waitForReady: Bool = false
    ) async throws -> Response {
        let (_, frames) = try start(method, timeout: timeout, metadata: metadata) { header, buffer in
            FrameEncoder.write(header, message: request, into: &buffer)
        }
        var iterator = frames.makeAsyncIterator()
        guard let frame = try await iterator.next() else { throw RPCError(.cancelled, "call cancelled by the client") }
        return try Response(decoding: frame.payload)
    }

    public func serverStream<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, timeout: Duration? = nil,
        metadata: [MetadataEntry] = [], waitForReady: Bool = false
    ) async throws -> RPCResponseStream<Response> {
        let (_, frames) = try start(method, timeout: timeout, metadata: metadata) { header, buffer in
            FrameEncoder.write(header, message: request, into: &buffer)
        }
        return RPCResponseStream(frames: frames)
    }

    public func serverStreamEncoded(
        _ method: String, _ payload: [UInt8], timeout: Duration? = nil, metadata: [MetadataEntry] = [],
        waitForReady: Bool = false
    ) async throws -> RPCEncodedResponseStream {
        let (call, frames) = try start(method, timeout: timeout, metadata: metadata) { header, buffer in
            var header = header
            header.payload = payload
            FrameEncoder.write(header, into: &buffer)
        }
        return RPCEncodedResponseStream(frames: frames) { call.cancel($0) }
    }

    /// Ends every call in flight with UNAVAILABLE (their handlers are cancelled); later calls fail the same way.
    public func close() async {
        let calls = state.withLock { s -> [InProcessCall] in
            s.closed = true
            defer { s.calls.removeAll() }
            return Array(s.calls.values)
        }
        let error = RPCError(.unavailable, "the in-process client was closed", origin: .transport)
        for call in calls { call.cancel(error) }
    }

    private var closedError: RPCError {
        RPCError(.unavailable, "in-process client of \(identity.service) is closed", origin: .transport)
    }

    /// Encodes the request frame, decodes it as a server would, and starts the method's handler; returns the call
    /// and the stream of its answer frames.
    private func start(
        _ method: String, timeout: Duration?, metadata: [MetadataEntry],
        encode: (Frame, inout ByteBuffer) -> Void
    ) throws -> (InProcessCall, AsyncThrowingStream<Frame, any Error>) {
        let callID = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue
        let (frames, continuation) = AsyncThrowingStream<Frame, any Error>.makeStream()
        let call = InProcessCall(
            callID: callID, continuation: continuation, maxFrameBytes: FrameDecoder.defaultMaxFrameBytes
        ) { [weak self] id in
            _ = self?.state.withLock { $0.calls.removeValue(forKey: id) }
        }
        let registered = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.calls[callID] = call
            return true
        }
        guard registered else { throw closedError }
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        encode(Frame.request(callID: callID, method: method, deadline: deadline, metadata: metadata), &buffer)
        let request: Frame
        do {
            // The buffer holds exactly one whole frame, so decodeOne returns one or throws.
            request = try FrameDecoder.decodeOne(from: &buffer, maxFrameBytes: identity.maxFrameBytes)!
        } catch {
            let status = (error as? FrameError)?.status ?? .internal
            call.fail(callID: callID, RPCError(status, "\(error)"))
            return (call, frames)
        }
        guard let handler = handlers.table[request.method] else {
            call.fail(
                callID: callID,
                RPCError(.unimplemented, "method \(request.method) is not implemented by \(identity.service)"))
            return (call, frames)
        }
        let serverDeadline = request.deadlineMicros > 0
            ? ContinuousClock.now + .microseconds(Int64(clamping: request.deadlineMicros)) : nil
        let context = RPCContext(
            method: request.method, metadata: request.metadata, deadline: serverDeadline, peerService: service,
            peerInstanceID: instanceID, remoteAddress: "in-process")
        call.start(handler.run, request: request, context: context)
        return (call, frames)
    }
}
