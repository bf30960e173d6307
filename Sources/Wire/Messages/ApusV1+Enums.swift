extension ApusV1 {
    /// `apus.v1.ServingStatus` (grpc.health.v1 semantics). `.unknown` is the proto's UNKNOWN (0).
    public enum ServingStatus: WireEnum {
        case unknown, serving, notServing, serviceUnknown
        /// A value this build does not know (from a newer peer); re-encodes unchanged.
        case unrecognized(Int32)

        public init(rawValue: Int32) {
            switch rawValue {
            case 0: self = .unknown
            case 1: self = .serving
            case 2: self = .notServing
            case 3: self = .serviceUnknown
            default: self = .unrecognized(rawValue)
            }
        }

        public var rawValue: Int32 {
            switch self {
            case .unknown: 0
            case .serving: 1
            case .notServing: 2
            case .serviceUnknown: 3
            case .unrecognized(let value): value
            }
        }
    }

    /// `apus.v1.KVEventKind`.
    public enum KVEventKind: WireEnum {
        case unspecified, stored, removed, cleared
        /// A value this build does not know (from a newer peer); re-encodes unchanged.
        case unrecognized(Int32)

        public init(rawValue: Int32) {
            switch rawValue {
            case 0: self = .unspecified
            case 1: self = .stored
            case 2: self = .removed
            case 3: self = .cleared
            default: self = .unrecognized(rawValue)
            }
        }

        public var rawValue: Int32 {
            switch self {
            case .unspecified: 0
            case .stored: 1
            case .removed: 2
            case .cleared: 3
            case .unrecognized(let value): value
            }
        }
    }

    /// `apus.v1.BackendState`: a router backend's lifecycle.
    public enum BackendState: WireEnum {
        case unspecified, pending, ready, notReady, failed, draining
        /// A value this build does not know (from a newer peer); re-encodes unchanged.
        case unrecognized(Int32)

        public init(rawValue: Int32) {
            switch rawValue {
            case 0: self = .unspecified
            case 1: self = .pending
            case 2: self = .ready
            case 3: self = .notReady
            case 4: self = .failed
            case 5: self = .draining
            default: self = .unrecognized(rawValue)
            }
        }

        public var rawValue: Int32 {
            switch self {
            case .unspecified: 0
            case .pending: 1
            case .ready: 2
            case .notReady: 3
            case .failed: 4
            case .draining: 5
            case .unrecognized(let value): value
            }
        }
    }

    /// `apus.v1.StatusCode`: the frame codec's `StatusCode` (one definition for the whole wire).
    public typealias StatusCode = Wire.StatusCode
}
