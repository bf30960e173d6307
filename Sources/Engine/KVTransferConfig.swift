import ServingCore

/// Disaggregated prefill/decode settings of one engine-core (docs/disaggregation.md §2).
public struct KVTransferConfig: Sendable, Equatable {
    /// What the engine accepts besides ordinary requests (vLLM's `kv_role`).
    public enum Role: String, Sendable, CaseIterable {
        /// Prefill legs (`do_remote_decode`): computes prompts and keeps their blocks for consumers.
        case producer
        /// Decode legs (`do_remote_prefill`): pulls prompts' blocks from producers.
        case consumer
        /// Both (the default; vLLM's `kv_both`).
        case both
    }

    public var role: Role = .both
    /// A producer frees a held prefill's blocks when no consumer released or kept them alive for this long (vLLM's
    /// `VLLM_NIXL_ABORT_REQUEST_TIMEOUT`, 480 s there).
    public var holdTimeout: Duration = .seconds(120)
    /// A consumer keeps alive the holds of requests that wait for blocks this often (vLLM's heartbeat).
    public var heartbeatInterval: Duration = .seconds(10)
    /// A pull that has not landed after this long is given up (the request computes its prompt).
    public var loadTimeout: Duration = .seconds(30)
    /// This engine's address as consumers reach it ("host:port"); the router replaces it with the address it
    /// dialed.
    public var advertisedAddress = ""

    public init() {}

    public var producesKV: Bool { role != .consumer }
    public var consumesKV: Bool { role != .producer }
}

/// The consumer's line to producer engine-cores (keep-alive and release of the blocks they hold).
public protocol KVTransferPeers: Sendable {
    /// Sends `action` for these request ids to the producer engine-core at `address`; returns the ids it still held
    /// when the call arrived.
    func control(producer address: String, requestIDs: [String], action: KVTransferAction) async throws -> Set<String>
}

public enum KVTransferAction: Sendable, Hashable {
    case keepAlive
    case release
}

/// What one pull moved, as the runners reported it.
public struct KVLoadStats: Sendable, Hashable {
    public var bytes: Int
    public var blocks: Int
    public var seconds: Double

    public init(bytes: Int, blocks: Int, seconds: Double) {
        self.bytes = bytes
        self.blocks = blocks
        self.seconds = seconds
    }
}

/// A pull that returned, for the loop.
struct KVLoadResult: Sendable {
    var requestID: String
    /// Every byte landed and the producer still held the blocks when it was told the pull was done.
    var success: Bool
    var stats: KVLoadStats?
    var error: String?
}
