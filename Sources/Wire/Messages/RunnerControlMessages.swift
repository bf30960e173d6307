import CApusProto

extension ApusV1 {
    /// `apus.v1.ProfileRequest`: measure memory after a dummy forward of this size.
    public struct ProfileRequest: Sendable, Equatable {
        public var maxNumBatchedTokens: UInt32
        public var maxNumSeqs: UInt32

        public init(maxNumBatchedTokens: UInt32 = 0, maxNumSeqs: UInt32 = 0) {
            self.maxNumBatchedTokens = maxNumBatchedTokens
            self.maxNumSeqs = maxNumSeqs
        }
    }

    /// `apus.v1.ProfileResult`.
    public struct ProfileResult: Sendable, Equatable {
        /// Bytes left for the KV cache after weights and peak activations.
        public var availableKVBytes: UInt64
        public var weightsBytes: UInt64
        public var peakActivationBytes: UInt64
        public var totalBytes: UInt64
        /// Measured speed (0: not measured): seconds per token of a one-sequence prefill, seconds of one decode
        /// step of `decodeBatch` sequences.
        public var prefillTokenSeconds: Double
        public var decodeStepSeconds: Double
        public var decodeBatch: UInt32

        public init(
            availableKVBytes: UInt64 = 0, weightsBytes: UInt64 = 0, peakActivationBytes: UInt64 = 0,
            totalBytes: UInt64 = 0, prefillTokenSeconds: Double = 0, decodeStepSeconds: Double = 0,
            decodeBatch: UInt32 = 0
        ) {
            self.availableKVBytes = availableKVBytes
            self.weightsBytes = weightsBytes
            self.peakActivationBytes = peakActivationBytes
            self.totalBytes = totalBytes
            self.prefillTokenSeconds = prefillTokenSeconds
            self.decodeStepSeconds = decodeStepSeconds
            self.decodeBatch = decodeBatch
        }
    }

    /// `apus.v1.InitializeCacheRequest`.
    public struct InitializeCacheRequest: Sendable, Equatable {
        public var numBlocks: UInt32
        public var blockSize: UInt32

        public init(numBlocks: UInt32 = 0, blockSize: UInt32 = 0) {
            self.numBlocks = numBlocks
            self.blockSize = blockSize
        }
    }

    /// `apus.v1.InitializeCacheResponse`.
    public struct InitializeCacheResponse: Sendable, Equatable {
        public var kvCacheBytes: UInt64
        public init(kvCacheBytes: UInt64 = 0) { self.kvCacheBytes = kvCacheBytes }
    }

    /// `apus.v1.ResetRequest` (no fields).
    public struct ResetRequest: Sendable, Equatable {
        public init() {}
    }

    /// `apus.v1.ResetResponse` (no fields).
    public struct ResetResponse: Sendable, Equatable {
        public init() {}
    }
}

extension ApusV1.ProfileRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__profile_request__init)

    func fill(_ c: inout Apus__V1__ProfileRequest, in arena: CArena) {
        c.max_num_batched_tokens = maxNumBatchedTokens
        c.max_num_seqs = maxNumSeqs
    }

    init(c: Apus__V1__ProfileRequest) throws(WireDecodingError) {
        self.init(maxNumBatchedTokens: c.max_num_batched_tokens, maxNumSeqs: c.max_num_seqs)
    }
}

extension ApusV1.ProfileResult: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__profile_result__init)

    func fill(_ c: inout Apus__V1__ProfileResult, in arena: CArena) {
        c.available_kv_bytes = availableKVBytes
        c.weights_bytes = weightsBytes
        c.peak_activation_bytes = peakActivationBytes
        c.total_bytes = totalBytes
        c.prefill_token_seconds = prefillTokenSeconds
        c.decode_step_seconds = decodeStepSeconds
        c.decode_batch = decodeBatch
    }

    init(c: Apus__V1__ProfileResult) throws(WireDecodingError) {
        self.init(
            availableKVBytes: c.available_kv_bytes, weightsBytes: c.weights_bytes,
            peakActivationBytes: c.peak_activation_bytes, totalBytes: c.total_bytes,
            prefillTokenSeconds: c.prefill_token_seconds, decodeStepSeconds: c.decode_step_seconds,
            decodeBatch: c.decode_batch)
    }
}

extension ApusV1.InitializeCacheRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__initialize_cache_request__init)

    func fill(_ c: inout Apus__V1__InitializeCacheRequest, in arena: CArena) {
        c.num_blocks = numBlocks
        c.block_size = blockSize
    }

    init(c: Apus__V1__InitializeCacheRequest) throws(WireDecodingError) {
        self.init(numBlocks: c.num_blocks, blockSize: c.block_size)
    }
}

extension ApusV1.InitializeCacheResponse: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__initialize_cache_response__init)

    func fill(_ c: inout Apus__V1__InitializeCacheResponse, in arena: CArena) { c.kv_cache_bytes = kvCacheBytes }

    init(c: Apus__V1__InitializeCacheResponse) throws(WireDecodingError) {
        self.init(kvCacheBytes: c.kv_cache_bytes)
    }
}

extension ApusV1.ResetRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__reset_request__init)

    func fill(_ c: inout Apus__V1__ResetRequest, in arena: CArena) {}

    init(c: Apus__V1__ResetRequest) throws(WireDecodingError) { self.init() }
}

extension ApusV1.ResetResponse: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__reset_response__init)

    func fill(_ c: inout Apus__V1__ResetResponse, in arena: CArena) {}

    init(c: Apus__V1__ResetResponse) throws(WireDecodingError) { self.init() }
}
