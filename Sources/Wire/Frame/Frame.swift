/// One message on an Apus connection: `uint32 big-endian length` + an encoded `apus.v1.Frame`.
///
/// Decoded frames carry their payload as raw bytes; the RPC layer decodes it with the message type the call
/// expects, off the event loop.
public struct Frame: Sendable, Equatable {
    public var callID: UInt64
    public var kind: FrameKind
    public var method: String
    /// Relative deadline in microseconds, counted from when the server reads the request; 0 = none.
    public var deadlineMicros: UInt64
    public var status: StatusCode
    public var statusMessage: String
    public var metadata: [MetadataEntry]
    public var payload: [UInt8]

    public init(
        callID: UInt64, kind: FrameKind, method: String = "", deadlineMicros: UInt64 = 0, status: StatusCode = .ok,
        statusMessage: String = "", metadata: [MetadataEntry] = [], payload: [UInt8] = []
    ) {
        self.callID = callID
        self.kind = kind
        self.method = method
        self.deadlineMicros = deadlineMicros
        self.status = status
        self.statusMessage = statusMessage
        self.metadata = metadata
        self.payload = payload
    }
}

/// A metadata key/value (auth token, trace id, request id).
public struct MetadataEntry: Sendable, Hashable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

extension [MetadataEntry] {
    /// The first value for `key`, compared case-insensitively like HTTP headers.
    public subscript(key: String) -> String? {
        let k = key.lowercased()
        return first { $0.key.lowercased() == k }?.value
    }
}

/// What a frame is; values equal `apus.v1.FrameKind`.
public enum FrameKind: Int32, Sendable, Equatable {
    case unspecified = 0
    case hello = 1
    case request = 2
    case response = 3
    case streamMessage = 4
    case streamEnd = 5
    case cancel = 6
    case error = 7
    case ping = 8
    case pong = 9
}

/// gRPC status codes (same numbers as `apus.v1.StatusCode`).
public enum StatusCode: Int32, Sendable, Equatable, CustomStringConvertible {
    case ok = 0
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16

    public var description: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internal: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }
}
