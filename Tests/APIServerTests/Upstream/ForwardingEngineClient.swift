import Wire

/// An engine client that forwards every call to `base`; test clients subclass it and override what they fake.
class ForwardingEngineClient: EngineClient, @unchecked Sendable {
    // NOTE: @unchecked because subclasses are non-final by design; each keeps its own state in a Mutex.
    let base: any EngineClient

    init(_ base: any EngineClient) { self.base = base }

    func generate(_ request: ApusV1.GenerateRequest) async throws -> RPCResponseStream<ApusV1.GenerateOutput> {
        try await base.generate(request)
    }
    func generate(encoded request: [UInt8], metadata: [MetadataEntry]) async throws -> RPCEncodedResponseStream {
        try await base.generate(encoded: request, metadata: metadata)
    }
    func abort(_ requestIDs: [String], timeout: Duration) async throws -> UInt32 {
        try await base.abort(requestIDs, timeout: timeout)
    }
    func modelInfo(timeout: Duration, waitForReady: Bool) async throws -> ApusV1.ModelInfo {
        try await base.modelInfo(timeout: timeout, waitForReady: waitForReady)
    }
    func watchLoad(_ request: ApusV1.WatchLoadRequest) async throws -> RPCResponseStream<ApusV1.LoadReport> {
        try await base.watchLoad(request)
    }
    func subscribeKVEvents(fromSeq: UInt64) async throws -> RPCResponseStream<ApusV1.KVEventBatch> {
        try await base.subscribeKVEvents(fromSeq: fromSeq)
    }
    func checkHealth(timeout: Duration) async throws -> ApusV1.ServingStatus { try await base.checkHealth(timeout: timeout) }
    func watchHealth() async throws -> RPCResponseStream<ApusV1.HealthCheckResponse> { try await base.watchHealth() }
    func instanceID() async throws -> String { try await base.instanceID() }
    func close() async { await base.close() }
}
