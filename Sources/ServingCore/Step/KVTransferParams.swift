/// Disaggregated prefill/decode (vLLM's `kv_transfer_params`; docs/disaggregation.md).
///
/// The router sends a producer engine `doRemoteDecode`: the engine computes the prompt, samples one token and keeps
/// the request's KV blocks. Its final output answers with `doRemotePrefill` and the `remote…` fields, which the
/// router passes to a consumer engine: that engine pulls the blocks runner to runner and computes only what they do
/// not cover (at least the last prompt token).
public struct KVTransferParams: Sendable, Hashable {
    public var doRemoteDecode = false
    public var doRemotePrefill = false
    public var remoteEngineID = ""
    public var remoteRequestID = ""
    /// The producer's block table for the request, in position order.
    public var remoteBlockIDs: [Int] = []
    /// The producer engine-core's address ("host:port"), for keep-alives and the release.
    public var remoteAddress = ""
    /// The producer's runners, one per pipeline stage.
    public var remoteRunners: [KVSource] = []
    public var remoteBlockSize = 0
    /// Prompt tokens whose KV the producer holds.
    public var remoteNumTokens = 0

    public init(doRemoteDecode: Bool = false, doRemotePrefill: Bool = false) {
        self.doRemoteDecode = doRemoteDecode
        self.doRemotePrefill = doRemotePrefill
    }
}

/// One producer runner: where its KV bytes are read, the layers it holds and its incarnation ("" = not checked).
public struct KVSource: Sendable, Hashable {
    public var address: String
    public var layers: Range<Int>
    public var incarnation: String

    public init(address: String, layers: Range<Int>, incarnation: String = "") {
        self.address = address
        self.layers = layers
        self.incarnation = incarnation
    }
}
