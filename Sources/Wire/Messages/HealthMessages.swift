import CApusProto

extension ApusV1 {
    /// `apus.v1.HealthCheckRequest` (Health/Check and Health/Watch).
    public struct HealthCheckRequest: Sendable, Equatable {
        /// "" = the server as a whole.
        public var service: String
        public init(service: String = "") { self.service = service }
    }

    /// `apus.v1.HealthCheckResponse`.
    public struct HealthCheckResponse: Sendable, Equatable {
        public var status: ServingStatus
        public init(status: ServingStatus = .unknown) { self.status = status }
    }
}

extension ApusV1.HealthCheckRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__health_check_request__init)

    func fill(_ c: inout Apus__V1__HealthCheckRequest, in arena: CArena) { c.service = arena.cString(service) }

    init(c: Apus__V1__HealthCheckRequest) throws(WireDecodingError) {
        self.init(service: try CDecode.string(c.service, "HealthCheckRequest.service"))
    }
}

extension ApusV1.HealthCheckResponse: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__health_check_response__init)

    func fill(_ c: inout Apus__V1__HealthCheckResponse, in arena: CArena) { c.status = status.cEnum() }

    init(c: Apus__V1__HealthCheckResponse) throws(WireDecodingError) {
        self.init(status: ApusV1.ServingStatus(cEnum: c.status))
    }
}
