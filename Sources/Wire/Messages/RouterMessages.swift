import CApusProto

extension ApusV1 {
    /// `apus.v1.AddBackendRequest`.
    public struct AddBackendRequest: Sendable, Equatable {
        /// host:port of an engine-core (a DNS name is re-resolved periodically).
        public var address: String
        public init(address: String = "") { self.address = address }
    }

    /// `apus.v1.RemoveBackendRequest`.
    public struct RemoveBackendRequest: Sendable, Equatable {
        public var address: String
        public init(address: String = "") { self.address = address }
    }

    /// `apus.v1.ListBackendsRequest` (no fields).
    public struct ListBackendsRequest: Sendable, Equatable {
        public init() {}
    }

    /// `apus.v1.DrainRequest`.
    public struct DrainRequest: Sendable, Equatable {
        public var address: String
        public init(address: String = "") { self.address = address }
    }

    /// `apus.v1.Backend`: one engine-core as the router sees it.
    public struct Backend: Sendable, Equatable {
        public var address: String
        public var state: BackendState
        public var inFlight: UInt32
        /// nil until the first load report arrives.
        public var load: LoadReport?
        public var engineID: String

        public init(
            address: String = "", state: BackendState = .unspecified, inFlight: UInt32 = 0, load: LoadReport? = nil,
            engineID: String = ""
        ) {
            self.address = address
            self.state = state
            self.inFlight = inFlight
            self.load = load
            self.engineID = engineID
        }
    }

    /// `apus.v1.BackendList`: every Router admin call's reply.
    public struct BackendList: Sendable, Equatable {
        public var backends: [Backend]
        public init(backends: [Backend] = []) { self.backends = backends }
    }
}

extension ApusV1.AddBackendRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__add_backend_request__init)

    func fill(_ c: inout Apus__V1__AddBackendRequest, in arena: CArena) { c.address = arena.cString(address) }

    init(c: Apus__V1__AddBackendRequest) throws(WireDecodingError) {
        self.init(address: try CDecode.string(c.address, "AddBackendRequest.address"))
    }
}

extension ApusV1.RemoveBackendRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__remove_backend_request__init)

    func fill(_ c: inout Apus__V1__RemoveBackendRequest, in arena: CArena) { c.address = arena.cString(address) }

    init(c: Apus__V1__RemoveBackendRequest) throws(WireDecodingError) {
        self.init(address: try CDecode.string(c.address, "RemoveBackendRequest.address"))
    }
}

extension ApusV1.ListBackendsRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__list_backends_request__init)

    func fill(_ c: inout Apus__V1__ListBackendsRequest, in arena: CArena) {}

    init(c: Apus__V1__ListBackendsRequest) throws(WireDecodingError) { self.init() }
}

extension ApusV1.DrainRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__drain_request__init)

    func fill(_ c: inout Apus__V1__DrainRequest, in arena: CArena) { c.address = arena.cString(address) }

    init(c: Apus__V1__DrainRequest) throws(WireDecodingError) {
        self.init(address: try CDecode.string(c.address, "DrainRequest.address"))
    }
}

extension ApusV1.Backend: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__backend__init)

    func fill(_ c: inout Apus__V1__Backend, in arena: CArena) {
        c.address = arena.cString(address)
        c.state = state.cEnum()
        c.in_flight = inFlight
        c.load = load.map { arena.message($0) }
        c.engine_id = arena.cString(engineID)
    }

    init(c: Apus__V1__Backend) throws(WireDecodingError) {
        self.init(
            address: try CDecode.string(c.address, "Backend.address"),
            state: ApusV1.BackendState(cEnum: c.state), inFlight: c.in_flight,
            load: try CDecode.message(c.load),
            engineID: try CDecode.string(c.engine_id, "Backend.engine_id"))
    }
}

extension ApusV1.BackendList: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__backend_list__init)

    func fill(_ c: inout Apus__V1__BackendList, in arena: CArena) {
        c.n_backends = backends.count
        c.backends = arena.messages(backends)
    }

    init(c: Apus__V1__BackendList) throws(WireDecodingError) {
        self.init(backends: try CDecode.messages(c.backends, c.n_backends, "BackendList.backends"))
    }
}
