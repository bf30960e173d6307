import NIOCore
import Synchronization
import Wire

/// One engine-core as the router service holds it: its client, its last load report and model info, the
/// instance id of the process behind it, and the task that watches it (Health.Watch, Health.Check, WatchLoad,
/// SubscribeKVEvents).
final class EngineMonitor: Sendable {
    let id: EngineID
    let client: any EngineClient
    /// The same engine's connection for calls `EngineClient` does not have (`KVTransferControl` in PD mode); nil
    /// when the engine was added with a client only.
    let caller: (any RPCCaller)?
    private struct State {
        var load: ApusV1.LoadReport?
        var info: ApusV1.ModelInfo?
        var instanceID: String?
        var task: Task<Void, Never>?
        var stopped = false
    }
    private let state = Mutex(State())

    init(id: EngineID, client: any EngineClient, caller: (any RPCCaller)? = nil) {
        self.id = id
        self.client = client
        self.caller = caller
    }

    var load: ApusV1.LoadReport? {
        get { state.withLock { $0.load } }
        set { state.withLock { $0.load = newValue } }
    }

    var info: ApusV1.ModelInfo? {
        get { state.withLock { $0.info } }
        set { state.withLock { $0.info = newValue } }
    }

    /// Records the instance id the engine's hello carried; true when it differs from the one recorded before
    /// (the process behind the address restarted). An empty id says nothing and is ignored.
    func noteInstance(_ instanceID: String) -> Bool {
        guard !instanceID.isEmpty else { return false }
        return state.withLock { s in
            defer { s.instanceID = instanceID }
            return s.instanceID.map { $0 != instanceID } ?? false
        }
    }

    /// Runs `body` (the watching loops) until `stop()`.
    func start(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        let stopped = state.withLock { s -> Bool in
            s.task = task
            return s.stopped
        }
        if stopped { task.cancel() }
    }

    /// Cancels the watching loops and closes the connection (calls still on it fail with UNAVAILABLE).
    func stop() {
        let task = state.withLock { s -> Task<Void, Never>? in
            s.stopped = true
            return s.task
        }
        task?.cancel()
        let client = self.client
        Task { await client.close() }
    }
}
