import CApusProto
import ServingCore

extension ApusV1 {
    /// `apus.v1.DescribeRequest` (no fields).
    public struct DescribeRequest: Sendable, Equatable {
        public init() {}
    }

    /// `apus.v1.KVCacheSpec`: one attention layer group's KV spec (vLLM's FullAttentionSpec).
    public struct KVCacheSpec: Sendable, Equatable {
        public var numLayers: UInt32
        public var numKVHeads: UInt32
        public var headDim: UInt32
        public var dtypeBytes: UInt32
        /// 0 = full attention; > 0 = sliding window (reserved).
        public var slidingWindow: UInt32

        public init(
            numLayers: UInt32 = 0, numKVHeads: UInt32 = 0, headDim: UInt32 = 0, dtypeBytes: UInt32 = 0,
            slidingWindow: UInt32 = 0
        ) {
            self.numLayers = numLayers
            self.numKVHeads = numKVHeads
            self.headDim = headDim
            self.dtypeBytes = dtypeBytes
            self.slidingWindow = slidingWindow
        }
    }

    /// `apus.v1.RunnerDescription`: a runner's model, KV layout and identity (Runner/Describe).
    public struct RunnerDescription: Sendable, Equatable {
        public var model: String
        public var architecture: String
        public var vocabSize: UInt32
        public var maxModelLen: UInt32
        public var kvCacheSpecs: [KVCacheSpec]
        /// Pipeline stage: this runner holds layers [firstLayer, endLayer).
        public var firstLayer: UInt32
        public var endLayer: UInt32
        public var numLayersTotal: UInt32
        public var device: String
        public var incarnationID: String
        public var eosTokenIDs: [TokenID]
        public var bosTokenID: TokenID?
        public var weightsBytes: UInt64

        public init(
            model: String = "", architecture: String = "", vocabSize: UInt32 = 0, maxModelLen: UInt32 = 0,
            kvCacheSpecs: [KVCacheSpec] = [], firstLayer: UInt32 = 0, endLayer: UInt32 = 0, numLayersTotal: UInt32 = 0,
            device: String = "", incarnationID: String = "", eosTokenIDs: [TokenID] = [], bosTokenID: TokenID? = nil,
            weightsBytes: UInt64 = 0
        ) {
            self.model = model
            self.architecture = architecture
            self.vocabSize = vocabSize
            self.maxModelLen = maxModelLen
            self.kvCacheSpecs = kvCacheSpecs
            self.firstLayer = firstLayer
            self.endLayer = endLayer
            self.numLayersTotal = numLayersTotal
            self.device = device
            self.incarnationID = incarnationID
            self.eosTokenIDs = eosTokenIDs
            self.bosTokenID = bosTokenID
            self.weightsBytes = weightsBytes
        }
    }
}

extension ApusV1.DescribeRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__describe_request__init)

    func fill(_ c: inout Apus__V1__DescribeRequest, in arena: CArena) {}

    init(c: Apus__V1__DescribeRequest) throws(WireDecodingError) { self.init() }
}

extension ApusV1.KVCacheSpec: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__kvcache_spec__init)

    func fill(_ c: inout Apus__V1__KVCacheSpec, in arena: CArena) {
        c.num_layers = numLayers
        c.num_kv_heads = numKVHeads
        c.head_dim = headDim
        c.dtype_bytes = dtypeBytes
        c.sliding_window = slidingWindow
    }

    init(c: Apus__V1__KVCacheSpec) throws(WireDecodingError) {
        self.init(
            numLayers: c.num_layers, numKVHeads: c.num_kv_heads, headDim: c.head_dim, dtypeBytes: c.dtype_bytes,
            slidingWindow: c.sliding_window)
    }
}

extension ApusV1.RunnerDescription: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__runner_description__init)

    func fill(_ c: inout Apus__V1__RunnerDescription, in arena: CArena) {
        c.model = arena.cString(model)
        c.architecture = arena.cString(architecture)
        c.vocab_size = vocabSize
        c.max_model_len = maxModelLen
        c.n_kv_cache_specs = kvCacheSpecs.count
        c.kv_cache_specs = arena.messages(kvCacheSpecs)
        c.first_layer = firstLayer
        c.end_layer = endLayer
        c.num_layers_total = numLayersTotal
        c.device = arena.cString(device)
        c.incarnation_id = arena.cString(incarnationID)
        c.n_eos_token_ids = eosTokenIDs.count
        c.eos_token_ids = arena.copy(eosTokenIDs)
        c.has_bos_token_id = cBool(bosTokenID != nil)
        c.bos_token_id = bosTokenID ?? 0
        c.weights_bytes = weightsBytes
    }

    init(c: Apus__V1__RunnerDescription) throws(WireDecodingError) {
        self.init(
            model: try CDecode.string(c.model, "RunnerDescription.model"),
            architecture: try CDecode.string(c.architecture, "RunnerDescription.architecture"),
            vocabSize: c.vocab_size, maxModelLen: c.max_model_len,
            kvCacheSpecs: try CDecode.messages(
                c.kv_cache_specs, c.n_kv_cache_specs, "RunnerDescription.kv_cache_specs"),
            firstLayer: c.first_layer, endLayer: c.end_layer, numLayersTotal: c.num_layers_total,
            device: try CDecode.string(c.device, "RunnerDescription.device"),
            incarnationID: try CDecode.string(c.incarnation_id, "RunnerDescription.incarnation_id"),
            eosTokenIDs: try CDecode.array(c.eos_token_ids, c.n_eos_token_ids, "RunnerDescription.eos_token_ids"),
            bosTokenID: c.has_bos_token_id != 0 ? c.bos_token_id : nil,
            weightsBytes: c.weights_bytes)
    }
}
