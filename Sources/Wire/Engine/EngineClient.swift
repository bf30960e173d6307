/// A client of one `apus.v1.Engine` service (an engine-core, or a router in front of several): the calls the api
/// and the router make upstream (docs/architecture.md §3.6).
///
/// The api holds one for its upstream, the router one per engine-core. `RPCEngineClient` implements it over any
/// `RPCCaller`: a connection (`RPCClient`) in a deployment, a handler table in this process (`InProcessRPCClient`)
/// in tests and in-process clusters. Errors are `RPCError`s; streams end when the engine ends them, and ending
/// their iteration early cancels the call upstream.
public protocol EngineClient: Sendable {
    /// `Generate`: one request, its outputs as they come.
    func generate(_ request: ApusV1.GenerateRequest) async throws -> RPCResponseStream<ApusV1.GenerateOutput>

    /// `Generate` with a request already encoded, its outputs still encoded (a forwarder's call); `metadata` goes
    /// with the request.
    func generate(encoded request: [UInt8], metadata: [MetadataEntry]) async throws -> RPCEncodedResponseStream

    /// `Abort`: how many of `requestIDs` were live (unknown ids are not an error).
    func abort(_ requestIDs: [String], timeout: Duration) async throws -> UInt32

    /// `GetModelInfo`; with `waitForReady` it waits for the engine to come up, within `timeout`.
    func modelInfo(timeout: Duration, waitForReady: Bool) async throws -> ApusV1.ModelInfo

    /// `WatchLoad`: a report at once, then after steps and at every heartbeat (docs/architecture.md §7.1).
    func watchLoad(_ request: ApusV1.WatchLoadRequest) async throws -> RPCResponseStream<ApusV1.LoadReport>

    /// `SubscribeKVEvents`: the events after sequence number `fromSeq`, then new ones (docs/architecture.md §7.3).
    func subscribeKVEvents(fromSeq: UInt64) async throws -> RPCResponseStream<ApusV1.KVEventBatch>

    /// `Health.Check` of the process as a whole.
    func checkHealth(timeout: Duration) async throws -> ApusV1.ServingStatus

    /// `Health.Watch` of the process as a whole: the current status, then every change.
    func watchHealth() async throws -> RPCResponseStream<ApusV1.HealthCheckResponse>

    /// The instance id of the process behind the client, from its hello; a new one means it restarted.
    func instanceID() async throws -> String

    /// Ends the client: calls in flight fail with UNAVAILABLE, and so do later ones.
    func close() async
}
