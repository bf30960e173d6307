import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// A client of one Apus server: calls multiplexed by call id on one TCP connection, reconnected with backoff.
///
/// The connection opens on first use. When it drops, pending calls fail with UNAVAILABLE; the next call
/// reconnects, but not before the backoff delay has passed since the last failed attempt (calls in between fail fast
/// with UNAVAILABLE naming the delay, unless `waitForReady` makes them wait, bounded by their deadline).
public final class RPCClient: RPCCaller {
    public struct Keepalive: Sendable {
        /// Ping period; nil disables keepalive.
        public var interval: Duration?
        /// How long past a missed ping the connection is declared dead.
        public var timeout: Duration
        public init(interval: Duration? = .seconds(10), timeout: Duration = .seconds(5)) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    public struct Configuration: Sendable {
        /// This client's service name, sent at hello ("api", "router", "engine-core", "probe").
        public var service: String
        public var instanceID: String = RPCServer.randomInstanceID()
        public var authToken: String = ""
        public var connectTimeout: Duration = .seconds(5)
        public var keepalive = Keepalive()
        public var initialBackoff: Duration = .milliseconds(100)
        public var maxBackoff: Duration = .seconds(5)
        public var maxFrameBytes: Int = FrameDecoder.defaultMaxFrameBytes
        /// When set, the connection is TLS, verifying the server as `host` unless `tls.serverName` says otherwise.
        public var tls: TLSConfiguration?

        public init(service: String) { self.service = service }
    }

    public let host: String
    public let port: Int
    public let configuration: Configuration
    let group: any EventLoopGroup
    let state = NIOLockedValueBox(ConnectionState())
    let lastRead = ReadStamp()
    private let nextCallID = Atomic<UInt64>(1)

    struct ConnectionState {
        var connection: RPCClientConnection?
        var connecting: EventLoopFuture<RPCClientConnection>?
        var failures = 0
        var retryAfter: ContinuousClock.Instant?
        var lastError: RPCError?
        var closed = false
    }

    public init(host: String, port: Int, configuration: Configuration,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.group = group
    }

    public var target: String { "\(host):\(port)" }

    /// How long ago this client last read anything from its server (responses, stream messages, keepalive pongs);
    /// nil before the first frame. With keepalive on, a live server is never silent much longer than its interval.
    public var timeSinceLastRead: Duration? { lastRead.age }

    /// The server's hello once connected (its service name and instance id).
    public func serverHello() async throws -> ApusV1.Hello {
        try await connection(waitForReady: false, deadline: nil).serverHello
    }

    /// One request, one response.
    public func unary<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, timeout: Duration? = nil,
        metadata: [MetadataEntry] = [], waitForReady: Bool = false
    ) async throws -> Response {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let connection = try await connection(waitForReady: waitForReady, deadline: deadline)
        let callID = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue
        let header = Frame.request(callID: callID, method: method, deadline: deadline, metadata: metadata)
        let frame = try await connection.unary(callID: callID, header: header, request: request, timeout: timeout)
        return try Response(decoding: frame.payload)
    }

    /// One request, a stream of responses. Ending iteration early (or cancelling the task) cancels the call.
    public func serverStream<Request: WireMessage, Response: WireMessage>(
        _ method: String, _ request: Request, as: Response.Type = Response.self, timeout: Duration? = nil,
        metadata: [MetadataEntry] = [], waitForReady: Bool = false
    ) async throws -> RPCResponseStream<Response> {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let connection = try await connection(waitForReady: waitForReady, deadline: deadline)
        let callID = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue
        let header = Frame.request(callID: callID, method: method, deadline: deadline, metadata: metadata)
        let frames = connection.stream(callID: callID, header: header, request: request, timeout: timeout)
        return RPCResponseStream(frames: frames)
    }

    /// One already encoded request, a stream of responses as their encoded bytes (a forwarder's call: nothing is
    /// decoded or re-encoded). Ending iteration early (or cancelling the task) cancels the call.
    public func serverStreamEncoded(
        _ method: String, _ payload: [UInt8], timeout: Duration? = nil, metadata: [MetadataEntry] = [],
        waitForReady: Bool = false
    ) async throws -> RPCEncodedResponseStream {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let connection = try await connection(waitForReady: waitForReady, deadline: deadline)
        let callID = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue
        var header = Frame.request(callID: callID, method: method, deadline: deadline, metadata: metadata)
        header.payload = payload
        let frames = connection.stream(callID: callID, encoded: header, timeout: timeout)
        return RPCEncodedResponseStream(frames: frames) { connection.cancel(callID: callID, $0) }
    }

    /// Closes the connection; later calls fail with UNAVAILABLE.
    public func close() async {
        let connection = state.withLockedValue { s -> RPCClientConnection? in
            s.closed = true
            defer { s.connection = nil }
            return s.connection
        }
        try? await connection?.channel.close()
    }
}

extension Frame {
    /// The REQUEST frame of a call; the deadline travels as the time left until it, in microseconds.
    static func request(
        callID: UInt64, method: String, deadline: ContinuousClock.Instant?, metadata: [MetadataEntry]
    ) -> Frame {
        var micros: UInt64 = 0
        if let deadline {
            let left = ContinuousClock.now.duration(to: deadline)
            micros = UInt64(max(1, left.components.seconds * 1_000_000 + left.components.attoseconds / 1_000_000_000_000))
        }
        return Frame(callID: callID, kind: .request, method: method, deadlineMicros: micros, metadata: metadata)
    }
}
