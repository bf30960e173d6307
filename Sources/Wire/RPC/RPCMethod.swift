/// Full method names ("Service/Method") of every Apus RPC, as the .proto files list them.
public enum RPCMethod {
    // apus.v1.Engine — served by engine-cores and by the router.
    public static let generate = "apus.v1.Engine/Generate"
    public static let abort = "apus.v1.Engine/Abort"
    public static let getLoad = "apus.v1.Engine/GetLoad"
    public static let watchLoad = "apus.v1.Engine/WatchLoad"
    public static let subscribeKVEvents = "apus.v1.Engine/SubscribeKVEvents"
    public static let getModelInfo = "apus.v1.Engine/GetModelInfo"
    /// Disaggregated prefill/decode: a consumer keeps alive or releases the KV blocks a producer holds for it.
    public static let kvTransferControl = "apus.v1.Engine/KVTransferControl"

    // apus.v1.Runner — served by runners, called by their engine-core (ReadKV: by other runners).
    public static let describe = "apus.v1.Runner/Describe"
    public static let profile = "apus.v1.Runner/Profile"
    public static let initializeCache = "apus.v1.Runner/InitializeCache"
    public static let execute = "apus.v1.Runner/Execute"
    public static let reset = "apus.v1.Runner/Reset"
    /// Disaggregated prefill/decode: a consumer runner pulls KV blocks (its engine-core calls LoadKV; the runner
    /// then reads from the producer runners with ReadKV).
    public static let loadKV = "apus.v1.Runner/LoadKV"
    public static let readKV = "apus.v1.Runner/ReadKV"

    // apus.v1.Router — the router's admin service.
    public static let addBackend = "apus.v1.Router/AddBackend"
    public static let removeBackend = "apus.v1.Router/RemoveBackend"
    public static let listBackends = "apus.v1.Router/ListBackends"
    public static let drain = "apus.v1.Router/Drain"

    // apus.v1.Health — on every service.
    public static let healthCheck = "apus.v1.Health/Check"
    public static let healthWatch = "apus.v1.Health/Watch"
}
