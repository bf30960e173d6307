/// `EngineClient` over any `RPCCaller`: each method is one call of `RPCMethod` or `HealthService`.
public struct RPCEngineClient: EngineClient {
    private let caller: any RPCCaller

    public init(_ caller: any RPCCaller) { self.caller = caller }

    public func generate(_ request: ApusV1.GenerateRequest) async throws -> RPCResponseStream<ApusV1.GenerateOutput> {
        try await caller.serverStream(RPCMethod.generate, request, as: ApusV1.GenerateOutput.self)
    }

    public func generate(encoded request: [UInt8], metadata: [MetadataEntry]) async throws
        -> RPCEncodedResponseStream
    {
        try await caller.serverStreamEncoded(
            RPCMethod.generate, request, timeout: nil, metadata: metadata, waitForReady: false)
    }

    public func abort(_ requestIDs: [String], timeout: Duration) async throws -> UInt32 {
        try await caller.unary(
            RPCMethod.abort, ApusV1.AbortRequest(requestIDs: requestIDs), as: ApusV1.AbortResponse.self,
            timeout: timeout
        ).numAborted
    }

    public func modelInfo(timeout: Duration, waitForReady: Bool) async throws -> ApusV1.ModelInfo {
        try await caller.unary(
            RPCMethod.getModelInfo, ApusV1.GetModelInfoRequest(), as: ApusV1.ModelInfo.self, timeout: timeout,
            metadata: [], waitForReady: waitForReady)
    }

    public func watchLoad(_ request: ApusV1.WatchLoadRequest) async throws -> RPCResponseStream<ApusV1.LoadReport> {
        try await caller.serverStream(RPCMethod.watchLoad, request, as: ApusV1.LoadReport.self)
    }

    public func subscribeKVEvents(fromSeq: UInt64) async throws -> RPCResponseStream<ApusV1.KVEventBatch> {
        try await caller.serverStream(
            RPCMethod.subscribeKVEvents, ApusV1.SubscribeKVEventsRequest(fromSeq: fromSeq),
            as: ApusV1.KVEventBatch.self)
    }

    public func checkHealth(timeout: Duration) async throws -> ApusV1.ServingStatus {
        try await caller.unary(
            RPCMethod.healthCheck, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckResponse.self, timeout: timeout
        ).status
    }

    public func watchHealth() async throws -> RPCResponseStream<ApusV1.HealthCheckResponse> {
        try await caller.serverStream(
            RPCMethod.healthWatch, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckResponse.self)
    }

    public func instanceID() async throws -> String {
        try await caller.serverHello().instanceID
    }

    public func close() async { await caller.close() }
}
