import CApusProto

extension ApusV1 {
    /// `apus.v1.Hello`: the first frame's payload in each direction of a connection.
    public struct Hello: Sendable, Equatable {
        public var protocolVersion: UInt32
        /// The service this peer is ("engine-core", "runner", "router", "api", "probe").
        public var service: String
        /// Random per process start; a new one means the peer restarted.
        public var instanceID: String
        /// Shared-secret identity check; empty when none is configured.
        public var authToken: String
        /// Largest frame this peer accepts, bytes.
        public var maxFrameBytes: UInt32

        public init(
            protocolVersion: UInt32 = 0, service: String = "", instanceID: String = "", authToken: String = "",
            maxFrameBytes: UInt32 = 0
        ) {
            self.protocolVersion = protocolVersion
            self.service = service
            self.instanceID = instanceID
            self.authToken = authToken
            self.maxFrameBytes = maxFrameBytes
        }
    }
}

extension ApusV1.Hello: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__hello__init)

    func fill(_ c: inout Apus__V1__Hello, in arena: CArena) {
        c.protocol_version = protocolVersion
        c.service = arena.cString(service)
        c.instance_id = arena.cString(instanceID)
        c.auth_token = arena.cString(authToken)
        c.max_frame_bytes = maxFrameBytes
    }

    init(c: Apus__V1__Hello) throws(WireDecodingError) {
        self.init(
            protocolVersion: c.protocol_version,
            service: try CDecode.string(c.service, "Hello.service"),
            instanceID: try CDecode.string(c.instance_id, "Hello.instance_id"),
            authToken: try CDecode.string(c.auth_token, "Hello.auth_token"),
            maxFrameBytes: c.max_frame_bytes)
    }
}
