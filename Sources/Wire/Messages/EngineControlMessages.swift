import CApusProto

extension ApusV1 {
    /// `apus.v1.AbortRequest`: abort these requests (unknown ids are not an error).
    public struct AbortRequest: Sendable, Equatable {
        public var requestIDs: [String]
        public init(requestIDs: [String] = []) { self.requestIDs = requestIDs }
    }

    /// `apus.v1.AbortResponse`.
    public struct AbortResponse: Sendable, Equatable {
        /// How many of the ids were live and are now aborted.
        public var numAborted: UInt32
        public init(numAborted: UInt32 = 0) { self.numAborted = numAborted }
    }

    /// `apus.v1.GetLoadRequest` (no fields).
    public struct GetLoadRequest: Sendable, Equatable {
        public init() {}
    }

    /// `apus.v1.WatchLoadRequest`.
    public struct WatchLoadRequest: Sendable, Equatable {
        /// Minimum interval between reports, microseconds (0 = every step, rate-limited by the server).
        public var intervalUS: UInt64
        /// A report goes out at least this often even when nothing changed, microseconds (0 = 500 ms).
        public var heartbeatUS: UInt64
        public init(intervalUS: UInt64 = 0, heartbeatUS: UInt64 = 0) {
            self.intervalUS = intervalUS
            self.heartbeatUS = heartbeatUS
        }
    }

    /// `apus.v1.SubscribeKVEventsRequest`.
    public struct SubscribeKVEventsRequest: Sendable, Equatable {
        /// Resume after this sequence number (0 = from the start).
        public var fromSeq: UInt64
        public init(fromSeq: UInt64 = 0) { self.fromSeq = fromSeq }
    }

    /// `apus.v1.GetModelInfoRequest` (no fields).
    public struct GetModelInfoRequest: Sendable, Equatable {
        public init() {}
    }
}

extension ApusV1.AbortRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__abort_request__init)

    func fill(_ c: inout Apus__V1__AbortRequest, in arena: CArena) {
        c.n_request_ids = requestIDs.count
        c.request_ids = arena.cStrings(requestIDs)
    }

    init(c: Apus__V1__AbortRequest) throws(WireDecodingError) {
        self.init(requestIDs: try CDecode.strings(c.request_ids, c.n_request_ids, "AbortRequest.request_ids"))
    }
}

extension ApusV1.AbortResponse: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__abort_response__init)

    func fill(_ c: inout Apus__V1__AbortResponse, in arena: CArena) { c.num_aborted = numAborted }

    init(c: Apus__V1__AbortResponse) throws(WireDecodingError) { self.init(numAborted: c.num_aborted) }
}

extension ApusV1.GetLoadRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__get_load_request__init)

    func fill(_ c: inout Apus__V1__GetLoadRequest, in arena: CArena) {}

    init(c: Apus__V1__GetLoadRequest) throws(WireDecodingError) { self.init() }
}

extension ApusV1.WatchLoadRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__watch_load_request__init)

    func fill(_ c: inout Apus__V1__WatchLoadRequest, in arena: CArena) {
        c.interval_us = intervalUS
        c.heartbeat_us = heartbeatUS
    }

    init(c: Apus__V1__WatchLoadRequest) throws(WireDecodingError) {
        self.init(intervalUS: c.interval_us, heartbeatUS: c.heartbeat_us)
    }
}

extension ApusV1.SubscribeKVEventsRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__subscribe_kvevents_request__init)

    func fill(_ c: inout Apus__V1__SubscribeKVEventsRequest, in arena: CArena) { c.from_seq = fromSeq }

    init(c: Apus__V1__SubscribeKVEventsRequest) throws(WireDecodingError) { self.init(fromSeq: c.from_seq) }
}

extension ApusV1.GetModelInfoRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__get_model_info_request__init)

    func fill(_ c: inout Apus__V1__GetModelInfoRequest, in arena: CArena) {}

    init(c: Apus__V1__GetModelInfoRequest) throws(WireDecodingError) { self.init() }
}
